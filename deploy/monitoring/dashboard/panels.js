// The dashboard's panels: what an operator of seminarhub looks at first.
// Each panel is one or more PromQL queries; every series of a query is a
// line, named by `legend` from its labels. `unit` formats the numbers.
// Rate windows are 1m/5m: at the 15 s scrape interval that is 4/20 samples.
window.PANELS = [
  { section: 'Traffic' },
  { title: 'Requests per second', unit: 'rps',
    queries: [{ expr: 'sum by (job) (rate(http_server_request_duration_seconds_count{job=~"gateway|user|content"}[1m]))', legend: '{job}' }] },
  { title: 'Edge: requests per second and open connections', unit: 'n',
    queries: [
      { expr: 'sum(rate(nginx_requests_total[1m]))', legend: 'requests/s' },
      { expr: 'sum(nginx_connections_current{state="active"})', legend: 'connections' },
    ] },

  { section: 'Errors' },
  { title: 'Share of answers that are 5xx', unit: 'percent',
    queries: [{ expr: 'sum by (job) (rate(http_server_request_duration_seconds_count{job=~"gateway|user|content",http_response_status_code=~"5.."}[5m])) / sum by (job) (rate(http_server_request_duration_seconds_count{job=~"gateway|user|content"}[5m])) or sum by (job) (0 * rate(http_server_request_duration_seconds_count{job=~"gateway|user|content"}[5m]))', legend: '{job}' }] },
  { title: 'Edge: answers per second by status class', unit: 'rps',
    queries: [{ expr: 'sum by (class) (label_replace(rate(edge_requests_total[1m]), "class", "${1}xx", "http_response_status_code", "(.).."))', legend: '{class}' }] },
  { title: 'Edge: share of answers that are 5xx (the availability SLI)', unit: 'percent',
    queries: [{ expr: '(sum(rate(edge_requests_total{http_response_status_code=~"5.."}[5m])) or sum(0 * rate(edge_requests_total[5m]))) / sum(rate(edge_requests_total[5m]))', legend: '5xx' }] },
  { title: 'Error budget left this month (availability, 99.9 %)', unit: 'percent',
    queries: [{ expr: 'slo:period_error_budget_remaining:ratio{sloth_slo="requests-availability"}', legend: 'budget left' }] },

  { section: 'Latency' },
  { title: 'Edge: p50 and p99 of every answer (static files too)', unit: 'ms',
    queries: [
      { expr: '1000 * histogram_quantile(0.5, sum by (le) (rate(edge_request_duration_seconds_bucket[5m])))', legend: 'p50' },
      { expr: '1000 * histogram_quantile(0.99, sum by (le) (rate(edge_request_duration_seconds_bucket[5m])))', legend: 'p99' },
    ] },
  { title: 'Gateway reads (GET): p50 and p99', unit: 'ms',
    queries: [
      { expr: '1000 * histogram_quantile(0.5, sum by (le) (rate(http_server_request_duration_seconds_bucket{job="gateway",http_request_method="GET",http_route=~"/api/.*"}[5m])))', legend: 'p50' },
      { expr: '1000 * histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{job="gateway",http_request_method="GET",http_route=~"/api/.*"}[5m])))', legend: 'p99 (objective 50)' },
    ] },
  { title: 'Gateway writes (not login): p50 and p99', unit: 'ms',
    queries: [
      { expr: '1000 * histogram_quantile(0.5, sum by (le) (rate(http_server_request_duration_seconds_bucket{job="gateway",http_request_method=~"POST|PUT|PATCH|DELETE",http_route=~"/api/.*",http_route!="/api/v1/user/login"}[5m])))', legend: 'p50' },
      { expr: '1000 * histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{job="gateway",http_request_method=~"POST|PUT|PATCH|DELETE",http_route=~"/api/.*",http_route!="/api/v1/user/login"}[5m])))', legend: 'p99 (objective 300)' },
    ] },

  { section: 'Saturation' },
  { title: 'CPU (cores) by service', unit: 'n',
    queries: [{ expr: 'sum by (job) (rate(process_cpu_seconds_total{job=~"gateway|user|content"}[1m]))', legend: '{job}' }] },
  { title: 'Database pool in use', unit: 'percent',
    queries: [{ expr: 'max by (job) (pgxpool_acquired_connections / pgxpool_max_connections)', legend: '{job}' }] },
  { title: 'PostgreSQL connections of max_connections', unit: 'percent',
    queries: [{ expr: 'sum(postgresql_backends) / max(postgresql_connection_max)', legend: 'in use' }] },
  { title: 'Redis memory of maxmemory', unit: 'percent',
    queries: [{ expr: 'max(redis_memory_used_bytes) / max(redis_maxmemory_bytes)', legend: 'used' }] },

  { section: 'Caching and the product' },
  { title: 'Cache hit ratio by service', unit: 'percent',
    queries: [{ expr: 'sum by (job) (rate(cache_requests_total{result="hit"}[5m])) / sum by (job) (rate(cache_requests_total[5m]))', legend: '{job}' }] },
  { title: 'Seats filled', unit: 'n',
    queries: [
      { expr: 'max(seminar_seats_filled)', legend: 'filled' },
      { expr: 'max(seminar_seats_capacity)', legend: 'offered' },
    ] },
]
