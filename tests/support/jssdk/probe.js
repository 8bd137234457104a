// The AWS SDK for JavaScript v3 as a consumer of samlbroker's credentials (tests/thirdparty/test_js_sdk.py).
//
//   node probe.js PROVIDER [CALLS]
//
// PROVIDER: process (fromProcess, profile AWS_PROFILE), chain (the default chain), http (fromHttp),
// container (fromContainerMetadata). Resolves the credentials once, then makes CALLS (default 1) STS
// GetCallerIdentity calls against LAB_STS_URL with one client, PAUSE_MS apart (default 0), and prints one JSON
// line: what the provider gave and each call's ARN and access key. A failure prints its name, message and the
// Code/Message the SDK took from the endpoint's error body, and exits 1.
"use strict";

const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
const providers = require("@aws-sdk/credential-providers");

const PROVIDERS = {
  process: () => providers.fromProcess({ profile: process.env.AWS_PROFILE }),
  chain: () => providers.fromNodeProviderChain(),
  http: () => providers.fromHttp({}),
  container: () => providers.fromContainerMetadata({ timeout: 5000 }),
};

function described(creds) {
  return {
    accessKeyId: creds.accessKeyId,
    secretAccessKey: creds.secretAccessKey,
    sessionToken: creds.sessionToken,
    expirationIsDate: creds.expiration instanceof Date,
    expiration: creds.expiration instanceof Date ? creds.expiration.getTime() / 1000 : null,
    accountId: creds.accountId ?? null,
  };
}

async function main() {
  const [name, count = "1"] = process.argv.slice(2);
  const provider = PROVIDERS[name]();
  const first = await provider();
  // The client resolves (and refreshes) its credentials itself, through the same provider.
  const seen = [];
  const client = new STSClient({
    region: "us-east-1",
    endpoint: process.env.LAB_STS_URL,
    credentials: async (options) => {
      const creds = await provider(options);
      seen.push(creds.accessKeyId);
      return creds;
    },
  });
  const calls = [];
  for (let i = 0; i < Number(count); i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, Number(process.env.PAUSE_MS || 0)));
    const identity = await client.send(new GetCallerIdentityCommand({}));
    calls.push({ arn: identity.Arn, account: identity.Account, at: Date.now() / 1000, key: seen.at(-1) });
  }
  console.log(JSON.stringify({ credentials: described(first), calls, resolved: seen }));
}

main().catch((error) => {
  console.log(
    JSON.stringify({ error: error.name, message: String(error.message), Code: error.Code, Message: error.Message })
  );
  process.exit(1);
});
