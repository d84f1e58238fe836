// Groups a flat perf profile by what the code does. Input on stdin: the lines of
//   perf report --no-children --sort dso,sym --stdio -g none --percent-limit 0
// ("  12.34%  module  [.] symbol"). JIT names (perf maps) and native AOT names (assembly and
// namespace joined with "_") are both matched after turning "_" into ".". Prints one table row
// per group (share of all samples, most first) and the groups' three hottest symbols.
const rules = [
  ["kernel (TCP loopback, epoll, scheduling)", /kernel|vmlinux|\[k\]/],
  ["GC and allocation", /WKS\.|gc.heap|GCHeap|RhpNew|RhpGcAlloc|Alloc(ate)?Object|JIT.New|memset|RhpAssignRef|WriteBarrier|JIT.WriteBarrier|RhpCheckedAssignRef|RhpByRefAssignRef|MarkObject|gc.mark|Sweep|Compact|Plan.Phase/i],
  ["SQLite", /sqlite|SQLitePCL|Microsoft\.Data\.Sqlite/i],
  ["JWT / authentication / authorization", /IdentityModel|Authentication|Authorization|Claims|JsonWebToken|JwtBearer/],
  ["crypto (HMAC, SHA, OpenSSL)", /libcrypto|libssl|Cryptography|HMAC|Sha256|SHA256|Keccak|secp256k1/i],
  ["Agora token (AccessToken2, zlib)", /Agora|SmallZlib|libz|Compression|deflate|zng_|ZLib/],
  ["JSON", /System\.Text\.Json|JsonSerializer|Utf8JsonWriter|Utf8JsonReader|ApiJsonContext|JsonTypeInfo/],
  ["logging", /Extensions\.Logging|Logger|LogValues|LogInformation/],
  ["metrics / diagnostics", /Diagnostics\.Metrics|Instrument|Meter|Counter|Histogram|DiagnosticListener|Activity|OpenTelemetry|EventSource/],
  ["Kestrel HTTP/1.1 and sockets", /Kestrel|System\.Net\.Sockets|Pipelines|SocketAsync|System\.Net\.Http\.Headers|HttpHeaders|HttpParser|Http1/],
  ["routing, endpoints, middleware", /Routing|Microsoft\.AspNetCore\.Http|Hosting|Builder|RequestDelegate|Endpoint|Middleware|HttpContext|Cors|RateLimit/],
  ["service code (SessionVoice)", /SessionVoice/],
  ["async, tasks, thread pool", /Threading|CompilerServices|AsyncTaskMethodBuilder|AsyncStateMachine|ThreadPool|Task|Monitor|Semaphore|Spin|WaitHandle|pthread|futex/i],
  ["runtime (type checks, casts, stubs, JIT)", /libcoreclr|libclrjit|Rhp|RhType|Cast|IsInstanceOf|ChkCast|StelemRef|Stub|libSystem\.Native|S\.P\.CoreLib\.Internal\.Runtime|Internal\.Runtime/],
  ["libc (memcpy, malloc)", /libc\.so|libc-|libm|ld-linux|memcpy|memmove|malloc|free/],
  ["other .NET library code (strings, collections)", /System\.|S\.P\.CoreLib|Microsoft\./],
];
const rows = new Map();
let total = 0;
for (const line of require("fs").readFileSync(0, "utf8").split("\n")) {
  const m = line.match(/^\s*([\d.]+)%\s+(.+?)\s+\[(.)\]\s+(.*)$/);  // JIT code's module is "[JIT] tid N"
  if (!m) continue;
  const share = +m[1], dso = m[2], kind = m[3], sym = m[4].trim();
  const text = `${dso} ${kind === "k" ? "[k]" : ""} ${sym}`.replace(/_/g, ".");
  const group = (rules.find(([, re]) => re.test(text)) || ["unattributed"])[0];
  const row = rows.get(group) || { share: 0, syms: [] };
  row.share += share;
  row.syms.push([share, sym.length > 90 ? sym.slice(0, 87) + "..." : sym]);
  rows.set(group, row);
  total += share;
}
console.log("| group | share | hottest symbols |\n|---|---|---|");
for (const [group, row] of [...rows].sort((a, b) => b[1].share - a[1].share)) {
  const top = row.syms.sort((a, b) => b[0] - a[0]).slice(0, 3).map(([s, n]) => `${n} ${s.toFixed(1)}`).join("; ");
  console.log(`| ${group} | ${row.share.toFixed(1)} % | ${top} |`);
}
console.log(`(sum ${total.toFixed(1)} %)`);
