-- POST /api/movies with a small JSON body.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"Benchmark movie","description":"created by scripts/bench.sh"}'
