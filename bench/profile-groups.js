// Groups a flat perf profile by what the code does. Input on stdin: the lines of
//   perf report --no-children --sort dso,sym --stdio -g none --percent-limit 0
// ("  12.34%  module  [.] symbol"). JIT names (perf maps) and native AOT names (assembly and
// namespace joined with "_") are both matched after turning "_" into ".". Prints one table row
// per group (share of all samples, most first) and the groups' three hottest symbols.
// Modules that say what the code is; the main executable (native AOT: all managed code, zlib-ng,
// the runtime) and JIT code ("[JIT] tid N") are grouped by symbol instead.
const modules = [
  ["kernel (TCP loopback, epoll, scheduling)", /kernel|vmlinux/],
  ["runtime (JIT compiler, type system, stubs)", /libcoreclr|libclrjit/],
  ["SQLite", /sqlite/i],
  ["crypto (HMAC, SHA, OpenSSL)", /libcrypto|libssl|Cryptography\.Native|secp256k1/],
  ["Agora token (AccessToken2, zlib)", /Compression\.Native|libz\./],
  ["libc (memcpy, malloc)", /^libc\.|libc-|libm\.|ld-linux|vdso/],
];
const rules = [
  ["GC and allocation", /WKS\.|gc.heap|GCHeap|RhpNew|RhpGcAlloc|AllocateObject|RhpAssignRef|RhpCheckedAssignRef|RhpByRefAssignRef|WriteBarrier|memset|RhpGcPoll/i],
  ["SQLite", /sqlite|SQLitePCL|Microsoft\.Data\.Sqlite|SqliteWrite/i],
  ["Agora token (AccessToken2, zlib)", /Agora|SmallZlib|zng.|deflate|adler32|crc32|ZLib/],
  ["JWT / authentication / authorization", /IdentityModel|Authentication|Authorization|Claims|JsonWebToken|JwtBearer/],
  ["crypto (HMAC, SHA, OpenSSL)", /Cryptography|HMAC|Sha256|SHA256|Keccak|ERR.clear|OPENSSL|CRYPTO/],
  ["JSON", /System\.Text\.Json|JsonSerializer|Utf8Json|ApiJsonContext|JsonTypeInfo/],
  ["logging", /Extensions\.Logging|Logger|LogValues/],
  ["metrics / diagnostics", /Diagnostics\.Metrics|Instrument|Meter|Histogram|DiagnosticListener|Activity|OpenTelemetry|EventSource|SessionVoiceMetrics/],
  ["Kestrel HTTP/1.1 and sockets", /Kestrel|System\.Net\.Sockets|Pipelines|SocketAsync|HttpHeaders|HttpParser|Http1/],
  ["routing, endpoints, middleware", /Routing|Microsoft\.AspNetCore\.Http|Hosting|Builder|RequestDelegate|Endpoint|Middleware|HttpContext|Cors|RateLimit/],
  ["service code (SessionVoice)", /^SessionVoice|\] SessionVoice|\[SessionVoice/],
  ["async, tasks, thread pool", /Threading|CompilerServices|ThreadPool|Task|Monitor|Semaphore|Spin|WaitHandle|pthread|futex|sched.yield/i],
  ["runtime (type checks, casts, stubs, JIT)", /Rhp|RhType|Rh[A-Z]|Cast|IsInstanceOf|ChkCast|StelemRef|Stub|Internal\.Runtime|^0x/],
  ["libc (memcpy, malloc)", /memcpy|memmove|malloc|free|strcmp|tls.get.addr/],
  ["other .NET library code (strings, collections)", /System\.|S\.P\.CoreLib|Microsoft\./],
];
const rows = new Map();
let total = 0;
for (const line of require("fs").readFileSync(0, "utf8").split("\n")) {
  const m = line.match(/^\s*([\d.]+)%\s+(.+?)\s+\[(.)\]\s+(.*)$/);  // JIT code's module is "[JIT] tid N"
  if (!m) continue;
  const share = +m[1], dso = m[2], kind = m[3], sym = m[4].trim();
  const text = sym.replace(/_/g, ".");
  const byModule = kind === "k" ? modules[0] : modules.find(([, re]) => re.test(dso));
  const group = (byModule || rules.find(([, re]) => re.test(text)) || ["unattributed"])[0];
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
