"""HTTP routes: the JSON API, the HTML pages and the live websocket."""
