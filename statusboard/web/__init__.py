"""The board beyond the desk: its web page, its API, its event stream and its Prometheus metrics."""
