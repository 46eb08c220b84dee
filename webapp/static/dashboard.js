// The dashboard's charts (vendored Chart.js); data and labels come as JSON in the page.
(function () {
  var d = JSON.parse(document.getElementById('chart-data').textContent);
  var L = JSON.parse(document.getElementById('chart-labels').textContent);
  new Chart(document.getElementById('chart-items'), {type: 'bar', data: {labels: d.units, datasets: [
    {label: L.opened, data: d.opened, backgroundColor: '#1e88e5'},
    {label: L.solved, data: d.solved, backgroundColor: '#43a047'},
    {label: L.overdue, data: d.overdue, backgroundColor: '#e53935'},
    {label: L.escalated, data: d.escalated, backgroundColor: '#8e24aa'}]},
    options: {scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}});
  new Chart(document.getElementById('chart-visits'), {type: 'bar', data: {labels: d.cadres, datasets: [
    {label: L.visits, data: d.visits, backgroundColor: d.visits.map(function (v) { return v < d.quota ? '#e53935' : '#43a047'; })},
    {label: L.quota, data: d.cadres.map(function () { return d.quota; }), type: 'line', borderColor: '#333', pointRadius: 0}]},
    options: {scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}});
  new Chart(document.getElementById('chart-satisfaction'), {type: 'doughnut', data: {labels: d.ratings, datasets: [
    {data: d.rating_counts, backgroundColor: ['#43a047', '#fdd835', '#e53935']}]},
    // a doughnut is square by default (400 px tall in a 400 px column): as wide as high as the bars
    options: {aspectRatio: 2}});
})();
