"""Running the web app and the recognition worker."""
from __future__ import annotations

import time
from typing import Optional

import click

from core.periodic import Periodic
from jobs import operations as jobs
from ops import compose
from webapp.commands.common import LOOPBACK, _app, _require_schema, _start_embedded_worker
from webapp.commands.diary import start_daily_training


@click.command(help="运行网站和内置识别进程 (run the web app with the embedded worker)")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-worker", is_flag=True, help="不启动内置识别进程 (no embedded worker)")
def serve(host: str, port: int, no_worker: bool) -> None:
    app = _app()
    _require_schema(app)
    _serve(app, host, port, worker=not no_worker)


@click.command(help="只运行识别进程，不带网站 (run only the recognition worker)")
@click.option("--threads", default=None, type=int, help="线程数 (worker threads)")
@click.option("--queue", "queues", multiple=True, type=click.Choice(["speech", "handwriting"]),
              help="只处理这些队列 (only these queues)")
@click.option("--once", is_flag=True, help="处理完现有任务后退出 (exit when no job is left)")
@click.option("--celery", "use_celery", is_flag=True,
              help="作为 Celery 工作进程运行 (run as a Celery worker; MINXIN_BROKER_URL)")
@click.option("--queues", "celery_queues", default="speech,handwriting", show_default=True,
              help="Celery 队列，逗号分隔 (Celery queues, comma-separated)")
@click.option("--concurrency", default=1, show_default=True, type=int,
              help="Celery 进程数 (Celery pool processes)")
def worker(threads: Optional[int], queues: tuple[str, ...], once: bool, use_celery: bool,
           celery_queues: str, concurrency: int) -> None:
    import logging
    import signal

    if use_celery:
        from jobs.celery_app import run_worker

        run_worker(celery_queues.split(","), concurrency)
        return

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = _app()
    _require_schema(app)
    queue = jobs.EmbeddedQueue(app.config, threads=threads, queues=queues or jobs.QUEUES)
    if once:
        n = 0
        while queue.run_once() is not None:
            n += 1
        click.echo(f"处理了 {n} 个任务 (ran {n} jobs)")
        return
    jobs.set_active_queue(queue)
    queue.start()
    click.echo(f"识别进程运行中 (worker running): {queue.threads} 个线程，队列 {', '.join(queue.queues)}", err=True)
    stop = {"now": False}

    def _stop(*_):
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stop["now"]:
        time.sleep(0.5)
    queue.stop(timeout=10)


def served_base_url(app, host: str, port: int) -> str:
    """Without MINXIN_PUBLIC_BASE_URL, printed links and QR codes point at the address served
    (not port 5000 whatever the port); said aloud, since villagers' phones cannot reach 127.0.0.1."""
    if app.config.get("PUBLIC_BASE_URL"):
        return app.config["PUBLIC_BASE_URL"]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    app.config["PUBLIC_BASE_URL"] = f"http://{shown}:{port}"
    click.echo(f"注意：未设置 MINXIN_PUBLIC_BASE_URL，二维码和链接指向 {app.config['PUBLIC_BASE_URL']} "
               f"(MINXIN_PUBLIC_BASE_URL is not set: QR codes and links point at the address served)", err=True)
    return app.config["PUBLIC_BASE_URL"]


def _serve(app, host: str, port: int, worker: bool = True) -> None:
    from werkzeug.serving import run_simple

    if host in LOOPBACK and app.extensions["minxin.settings"].insecure_cookies is None:
        # Plain HTTP on this machine only: cookies cannot be marked Secure, or login would not stick.
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = False
    served_base_url(app, host, port)
    queue = _start_embedded_worker(app) if worker else None
    timers = []
    if queue is not None:
        click.echo(f"内置识别进程已启动 (embedded worker started): {queue.threads} 个线程 (threads)")
        timers.append(start_daily_training(app))  # the county's extractor model, once a day
        timers.append(start_dashboard_counts(app))  # recurring problems and ended months, as beat does
    click.echo(f"网站 (web app): http://{host}:{port}/  按 Ctrl+C 停止 (Ctrl+C to stop)")
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        for timer in timers:
            timer.stop()
        if queue is not None:
            queue.stop(timeout=5)


def start_dashboard_counts(app) -> Periodic:
    """The embedded worker's copy of celery beat's `minxin.recurring_clusters` (every 10 minutes):
    without it a county served by `minxin serve` alone would never see its recurring problems."""
    config = app.config
    return Periodic("minxin-dashboard-counts", lambda: compose.refresh_dashboard_counts(config),
                    every=compose.DASHBOARD_COUNTS_SECONDS).start()


COMMANDS = (serve, worker)
