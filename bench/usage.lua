-- wrk script: POST /api/v1/usage with the key and automation from the
-- environment (BENCH_API_KEY, BENCH_AUTOMATION), one task per request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_API_KEY")
wrk.body = '{"automation": ' .. os.getenv("BENCH_AUTOMATION") .. ', "tasks": 1}'
