-- POST /api/billing with the crud-master order body.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"user_id":"3","number_of_items":"5","total_amount":"180"}'
