// Token oracle for tests: builds Agora AccessToken2 RTC tokens with the npm package's own classes.
// stdin: one JSON object per line,
//   {"appId","appCertificate","channel","uid","issueTs","salt","expire","privileges":{"1":600,...}}
// stdout: one token per input line, in order. Works from any cwd.
'use strict'

const path = require('path')
const { AccessToken2, ServiceRtc } = require(path.join(__dirname, 'node_modules', 'agora-token', 'src', 'AccessToken2.js'))

function build(input) {
  // The constructor draws a random salt and treats issueTs 0 as "now"; assigning afterwards pins both.
  const token = new AccessToken2(input.appId, input.appCertificate, input.issueTs, input.expire)
  token.issueTs = input.issueTs
  token.salt = input.salt
  const rtc = new ServiceRtc(input.channel, input.uid)
  for (const [privilege, expire] of Object.entries(input.privileges || {})) {
    rtc.add_privilege(Number(privilege), expire)
  }
  token.add_service(rtc)
  const built = token.build()
  if (!built) {
    throw new Error('agora-token refused the input')
  }
  return built
}

let text = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', chunk => { text += chunk })
process.stdin.on('end', () => {
  const out = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    if (line === '') {
      continue
    }
    try {
      out.push(build(JSON.parse(line)))
    } catch (error) {
      process.stderr.write(`line ${i + 1}: ${error.message}\n`)
      process.exit(1)
    }
  }
  process.stdout.write(out.map(t => t + '\n').join(''))
})
