-- POST /api/billing, each wrk thread stops after LIMIT responses
-- (LIMIT = BENCH_PUBLISH / threads, passed as the script argument).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"user_id":"7","number_of_items":"2","total_amount":"19.99"}'

local limit = 2500
local count = 0

function init(args)
   if args[1] then limit = tonumber(args[1]) end
end

function response(status, headers, body)
   count = count + 1
   if count >= limit then
      wrk.thread:stop()
   end
end
