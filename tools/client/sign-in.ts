// Signs a wallet in to Session Voice with a client generated from docs/openapi.json:
// POST /auth/nonce, personal_sign (EIP-191) of the nonce with an ethers Wallet, POST /auth/verify.
// Prints {"wallet", "token"} as JSON on stdout; on a refusal prints the API's {"error"} on stderr and exits 1.
//
//   SIGNER_PRIVATE_KEY=0x… node out/sign-in.js --url http://127.0.0.1:3338
//
// The private key comes from SIGNER_PRIVATE_KEY (or --key, which other users of the machine can see in ps).
import createClient from "openapi-fetch";
import { Wallet } from "ethers";
import type { paths } from "./openapi.js";

interface Options {
  url: string;
  key: string;
}

function readOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  let url = env["SESSION_VOICE_URL"];
  let key = env["SIGNER_PRIVATE_KEY"];
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case "--url":
        url = value;
        i++;
        break;
      case "--key":
        key = value;
        i++;
        break;
      default:
        throw new Error(`unknown argument ${argv[i]} (expected --url <base url> and --key <private key>)`);
    }
  }
  if (!url) {
    throw new Error("the service's base URL is missing: --url or SESSION_VOICE_URL");
  }
  if (!key) {
    throw new Error("the private key is missing: SIGNER_PRIVATE_KEY or --key");
  }
  return { url, key };
}

/** The API's refusal in one line: its {"error"} text and the status (never the key). */
function refused(step: string, status: number, error: { error: string } | undefined): Error {
  return new Error(`${step} refused (${status}): ${error?.error ?? "no error text"}`);
}

export async function signIn(options: Options): Promise<{ wallet: string; token: string }> {
  const wallet = new Wallet(options.key);
  const client = createClient<paths>({ baseUrl: options.url.replace(/\/+$/, "") });

  const nonce = await client.POST("/auth/nonce", { body: { wallet: wallet.address } });
  if (!nonce.data) {
    throw refused("/auth/nonce", nonce.response.status, nonce.error);
  }
  const signature = await wallet.signMessage(nonce.data.nonce);
  const verified = await client.POST("/auth/verify", { body: { wallet: wallet.address, nonce: nonce.data.nonce, signature } });
  if (!verified.data) {
    throw refused("/auth/verify", verified.response.status, verified.error);
  }
  return { wallet: wallet.address, token: verified.data.token };
}

try {
  const result = await signIn(readOptions(process.argv.slice(2), process.env));
  process.stdout.write(JSON.stringify(result) + "\n");
} catch (e) {
  process.stderr.write(JSON.stringify({ error: e instanceof Error ? e.message : String(e) }) + "\n");
  process.exitCode = 1;
}
