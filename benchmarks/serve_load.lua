-- wrk script for benchmarks/serve_load.sh: POSTs the JSON request in the file $NN_BODY.
local f = assert(io.open(os.getenv("NN_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
