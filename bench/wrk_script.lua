-- wrk script for bench.query: replay a fixed list of requests, one connection per thread.
-- Environment: BENCH_PATHS (file, one request path per line), BENCH_CONDITIONAL ("1" to send
-- If-None-Match with the ETag last seen for that path), BENCH_THREADS (wrk's -t). Each thread
-- starts at its own offset, an equal share of the list apart, so "unique" requests stay unique
-- across threads. Prints a JSON summary at the end.
local paths = {}
local counter = 0
local position = 0
local etags = {}
local last_path = nil
local conditional = os.getenv("BENCH_CONDITIONAL") == "1"

function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
end

function init(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do
    paths[#paths + 1] = line
  end
  -- thread_index is the global that setup's thread:set() wrote into this thread's state (a file-scope
  -- `local` of the same name would hide it and start every thread at 0).
  local threads = tonumber(os.getenv("BENCH_THREADS")) or 1
  position = math.floor((thread_index or 0) * #paths / threads) % #paths
end

function request()
  position = position % #paths + 1
  last_path = paths[position]
  local accept = "application/sparql-results+json"
  if string.sub(last_path, 1, 4) == "/id/" then accept = "text/html" end
  local headers = { ["Accept"] = accept }
  if conditional and etags[last_path] then
    headers["If-None-Match"] = etags[last_path]
  end
  return wrk.format("GET", last_path, headers)
end

function response(status, headers, body)
  if conditional and status == 200 and last_path then
    local etag = headers["ETag"] or headers["etag"]
    if etag then etags[last_path] = etag end
  end
end

function done(summary, latency, requests)
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
