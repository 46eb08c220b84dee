// 民心日记 · service worker of the capture app (served as /capture/sw.js, scope /capture/,
// with SETTINGS prepended by webapp/capture/views.py: version, page, static, list, keepSeconds).
//
// After one visit the capture page opens with no signal: the page, its script, styles and the
// cadre's recent capture list are kept here. The page and the list are asked of the network
// first (a few seconds on a weak link), the scripts and styles are served from here and
// refreshed behind. Uploads never go through this cache: they wait in IndexedDB (capture.js).
// The copy of the page is kept as long as the sign-in it was made with lasts (keepSeconds, the
// session lifetime); logging out drops it, so a shared phone does not show the last cadre's list.
'use strict';
/* global SETTINGS */
const CACHE = 'minxin-capture-' + SETTINGS.version;
const NETWORK_WAIT_MS = 4000;
const STAMP = 'x-minxin-cached-at';

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SETTINGS.static);
    // The page and the list need the sign-in cookie; a failure here only means they are
    // cached on the next successful load instead.
    for (const url of [SETTINGS.page, SETTINGS.list]) {
      try { await keep(cache, url, await fetch(url, { credentials: 'same-origin', redirect: 'manual' })); } catch (e) { /* offline */ }
    }
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('minxin-capture-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// A copy with the time it was made, and only of a real answer (not a redirect to the login).
async function keep(cache, url, response) {
  if (!response || response.status !== 200 || response.type === 'opaqueredirect' || response.redirected) return;
  const headers = new Headers(response.headers);
  headers.set(STAMP, String(Date.now()));
  const body = await response.clone().blob();
  await cache.put(url, new Response(body, { status: 200, statusText: 'OK', headers }));
}

async function cached(url) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(url, { ignoreSearch: true });
  if (!hit) return null;
  const at = Number(hit.headers.get(STAMP) || 0);
  if (SETTINGS.keepSeconds && at && Date.now() - at > SETTINGS.keepSeconds * 1000) {
    await cache.delete(url, { ignoreSearch: true });
    return null;
  }
  return hit;
}

// Network first, the kept copy when the network fails or is too slow to wait for.
async function networkFirst(request, url) {
  const cache = await caches.open(CACHE);
  const fromNetwork = fetch(request).then(async (response) => {
    await keep(cache, url, response);
    return response;
  });
  const slow = new Promise((resolve) => setTimeout(() => resolve(null), NETWORK_WAIT_MS));
  try {
    const first = await Promise.race([fromNetwork, slow]);
    if (first) return first;
    return (await cached(url)) || (await fromNetwork);
  } catch (e) {
    const hit = await cached(url);
    if (hit) return hit;
    throw e;
  }
}

async function staleWhileRevalidate(event, url) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(url, { ignoreSearch: true });
  const refresh = fetch(event.request).then(async (response) => {
    if (response.ok) await cache.put(url, response.clone());
    return response;
  });
  if (hit) {
    event.waitUntil(refresh.catch(() => null));
    return hit;
  }
  return refresh;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === 'POST' && url.pathname.endsWith('/logout')) {
    event.waitUntil(caches.delete(CACHE));
    return;
  }
  if (request.method !== 'GET') return;
  if (request.mode === 'navigate' && url.pathname === SETTINGS.page) {
    event.respondWith(networkFirst(request, SETTINGS.page));
  } else if (url.pathname === SETTINGS.list) {
    event.respondWith(networkFirst(request, SETTINGS.list));
  } else if (SETTINGS.static.includes(url.pathname)) {
    event.respondWith(staleWhileRevalidate(event, url.pathname));
  }
});
