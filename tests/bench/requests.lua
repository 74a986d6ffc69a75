-- requests.lua — wrk script for tests/bench/run.sh: sends the requests listed in a file, in
-- turn, each wrk thread starting at its own place in the list.
--
--   wrk -t2 -c32 -d10s --latency -s requests.lua https://127.0.0.1:PORT -- FILE [close]
--
-- FILE has one request per line, five tab-separated fields: METHOD, PATH, COOKIE, CSRF, BODY
-- (empty fields are left out; a BODY is sent as application/json). With "close" every request
-- carries "Connection: close": the server closes after replying and wrk reconnects, so each
-- request pays a TCP connect and a full TLS handshake (wrk does not resume TLS sessions).

local requests = {}
local next_index = 1
local threads = 0

function setup(thread)
   thread:set("thread_number", threads)
   threads = threads + 1
end

function init(args)
   local file, close = args[1], args[2] == "close"
   for line in io.lines(file) do
      local method, path, cookie, csrf, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      if method then
         local headers = {}
         if cookie ~= "" then headers["Cookie"] = cookie end
         if csrf ~= "" then headers["X-CSRF-Token"] = csrf end
         if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
         if close then headers["Connection"] = "close" end
         requests[#requests + 1] = wrk.format(method, path, headers, body)
      end
   end
   if #requests == 0 then
      error("requests.lua: no requests in " .. tostring(file))
   end
   next_index = ((thread_number or 0) * 7919) % #requests + 1
end

function request()
   local r = requests[next_index]
   next_index = next_index % #requests + 1
   return r
end
