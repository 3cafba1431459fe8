import * as assert from "node:assert/strict";
import * as net from "node:net";
import { envFetch, parseProxy, proxyForUrl, useProxy, type ProxyEnv } from "../lib/envProxy";

/**
 * lib/envProxy.ts ports golang.org/x/net/http/httpproxy (the provider's proxy rules): these are its proxy_test.go
 * tables (golang/net 0ca694d, http/httpproxy/proxy_test.go), as Go writes them, less three cases the port leaves out
 * on purpose (the two about CGI, whose refusal of HTTP_PROXY concerns http URLs: every URL here is https; a request
 * URL with an IPv6 zone, which Node's URL parser refuses).
 */
describe("envProxy: the provider's proxy rules (Go's httpproxy)", () => {
  const cases: { env: ProxyEnv; req?: string; want: string | undefined }[] = [
    { env: { HTTP_PROXY: "127.0.0.1:8080" }, want: "http://127.0.0.1:8080" },
    { env: { HTTP_PROXY: "cache.corp.example.com:1234" }, want: "http://cache.corp.example.com:1234" },
    { env: { HTTP_PROXY: "cache.corp.example.com" }, want: "http://cache.corp.example.com" },
    { env: { HTTP_PROXY: "localhost" }, want: "http://localhost" },
    { env: { HTTP_PROXY: "https://cache.corp.example.com" }, want: "https://cache.corp.example.com" },
    { env: { HTTP_PROXY: "http://127.0.0.1:8080" }, want: "http://127.0.0.1:8080" },
    { env: { HTTP_PROXY: "https://127.0.0.1:8080" }, want: "https://127.0.0.1:8080" },
    { env: { HTTP_PROXY: "socks5://127.0.0.1" }, want: "socks5://127.0.0.1" },
    { env: { HTTP_PROXY: "foo://host" }, want: "foo://host" },
    {
      env: { HTTP_PROXY: "http.proxy.tld", HTTPS_PROXY: "secure.proxy.tld" },
      req: "http://insecure.tld/",
      want: "http://http.proxy.tld",
    },
    {
      env: { HTTP_PROXY: "http.proxy.tld", HTTPS_PROXY: "secure.proxy.tld" },
      req: "https://secure.tld/",
      want: "http://secure.proxy.tld",
    },
    {
      env: { HTTP_PROXY: "http.proxy.tld", HTTPS_PROXY: "https://secure.proxy.tld" },
      req: "https://secure.tld/",
      want: "https://secure.proxy.tld",
    },
    { env: { HTTP_PROXY: "http.proxy.tld" }, req: "https://secure.tld/", want: undefined },
    { env: { HTTP_PROXY: "http.proxy.tld" }, req: "ftp://insecure.tld/", want: undefined },
    { env: {}, want: undefined },
    { env: { NO_PROXY: "example.com", HTTP_PROXY: "proxy" }, req: "http://example.com/", want: undefined },
    { env: { NO_PROXY: ".example.com", HTTP_PROXY: "proxy" }, req: "http://example.com/", want: "http://proxy" },
    { env: { NO_PROXY: "ample.com", HTTP_PROXY: "proxy" }, req: "http://example.com/", want: "http://proxy" },
    { env: { NO_PROXY: "example.com", HTTP_PROXY: "proxy" }, req: "http://foo.example.com/", want: undefined },
    { env: { NO_PROXY: ".foo.com", HTTP_PROXY: "proxy" }, req: "http://example.com/", want: "http://proxy" },
    { env: { NO_PROXY: ".示例.com", HTTP_PROXY: "proxy" }, req: "http://www.示例.com", want: undefined },
    { env: { NO_PROXY: "xn--fsq092h.com", HTTP_PROXY: "proxy" }, req: "http://www.示例.com", want: undefined },
    { env: { NO_PROXY: "示例.com", HTTP_PROXY: "proxy" }, req: "http://www.xn--fsq092h.com", want: undefined },
  ];
  for (const c of cases)
    it(`${JSON.stringify(c.env)} ${c.req ?? "http://example.com"} → ${c.want ?? "direct"}`, () => {
      assert.equal(proxyForUrl(c.req ?? "http://example.com", c.env), c.want);
    });

  const noProxy =
    "foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, 2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64";
  const useProxyCases: [string, boolean][] = [
    ["localhost", false],
    ["127.0.0.1", false],
    ["127.0.0.2", false],
    ["[::1]", false],
    ["[::2]", true],
    ["192.168.1.1", false],
    ["192.168.1.2", true],
    ["192.168.1.3", false],
    ["192.168.1.4", true],
    ["10.0.0.2", false],
    ["[2001:db8::52:0:1]", false],
    ["[2001:db8::52:0:2]", true],
    ["[2001:db8::52:0:3]", false],
    ["[2002:db8:a::123]", false],
    ["[fe80::424b:c8be:1643:a1b6]", true],
    ["barbaz.net", true],
    ["www.barbaz.net", false],
    ["foobar.com", false],
    ["www.foobar.com", false],
    ["foofoobar.com", true],
    ["baz.com", true],
    ["localhost.net", true],
    ["local.localhost", true],
    ["barbarbaz.net", true],
    ["wildcard.io", true],
    ["nested.wildcard.io", false],
    ["awildcard.io", true],
  ];
  const bare = (host: string): string => host.replace(/^\[(.*)\]$/, "$1");
  it("NO_PROXY: Go's useProxy table, host by host (port 80)", () => {
    const got = useProxyCases.map(([host]) => [host, useProxy(bare(host), "80", noProxy)]);
    assert.deepEqual(got, useProxyCases);
  });
  it("NO_PROXY '*' sends nothing through the proxy; an invalid entry (':1') is skipped", () => {
    assert.deepEqual(
      useProxyCases.filter(([host]) => useProxy(bare(host), "80", "*")),
      [],
    );
    assert.equal(useProxy("example.com", "80", ":1"), true);
  });

  it("reads the upper-case variable first and skips an empty one, as Go's getEnvAny", () => {
    const url = "https://management.azure.com/subscriptions";
    assert.equal(proxyForUrl(url, { HTTPS_PROXY: "upper:3128", https_proxy: "lower:3128" }), "http://upper:3128");
    assert.equal(proxyForUrl(url, { HTTPS_PROXY: "", https_proxy: "lower:3128" }), "http://lower:3128");
    assert.equal(
      proxyForUrl(url, { HTTPS_PROXY: "p:3128", NO_PROXY: "", no_proxy: "management.azure.com" }),
      undefined,
    );
    assert.equal(proxyForUrl(url, { HTTPS_PROXY: "p:3128", NO_PROXY: "azure.com" }), undefined);
    assert.equal(proxyForUrl(url, { HTTPS_PROXY: "p:3128", NO_PROXY: "management.azure.com:8443" }), "http://p:3128");
    assert.equal(proxyForUrl(url, { HTTP_PROXY: "p:3128", ALL_PROXY: "p:3128" }), undefined);
    assert.equal(parseProxy(""), undefined);
    // A value that does not parse is dropped, as Go's init drops it: the request goes direct.
    assert.equal(proxyForUrl(url, { HTTPS_PROXY: "http://[::1" }), undefined);
    assert.equal(proxyForUrl(url, { HTTPS_PROXY: "http://us%zzer:pw@proxy:3128" }), undefined);
    assert.equal(proxyForUrl(url, { HTTPS_PROXY: "http://us%40er:pw@proxy:3128" }), "http://us%40er:pw@proxy:3128");
  });
});

describe("envProxy: envFetch through a proxy", () => {
  /** A proxy that records the first request it is sent and refuses it. */
  async function refusingProxy(): Promise<{ url: string; seen: Promise<string>; close: () => void }> {
    let resolve: (head: string) => void = () => undefined;
    const seen = new Promise<string>((r) => (resolve = r));
    const server = net.createServer((socket) => {
      let head = "";
      socket.on("data", (chunk) => {
        head += chunk.toString("latin1");
        if (head.includes("\r\n\r\n")) {
          resolve(head);
          socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as net.AddressInfo;
    return { url: `127.0.0.1:${port}`, seen, close: () => server.close() };
  }

  it("tunnels an https request through HTTPS_PROXY with CONNECT, the proxy URL's user as Basic auth", async () => {
    const proxy = await refusingProxy();
    try {
      const env = { HTTPS_PROXY: `http://ops%40corp:s3cr%3At@${proxy.url}`, NO_PROXY: "localhost,.internal" };
      await assert.rejects(envFetch("https://management.azure.com/subscriptions?api-version=2022-12-01", {}, env));
      const head = await proxy.seen;
      assert.match(head, /^CONNECT management\.azure\.com:443 HTTP\/1\.1\r\n/);
      const auth = /\r\nproxy-authorization: Basic ([^\r]+)\r\n/i.exec(head);
      assert.ok(auth, head);
      assert.equal(Buffer.from(auth[1], "base64").toString(), "ops@corp:s3cr:t");
    } finally {
      proxy.close();
    }
  });

  it("refuses a proxy scheme it cannot use, naming the variable and NO_PROXY", async () => {
    await assert.rejects(
      envFetch("https://prices.azure.com/api/retail/prices", {}, { HTTPS_PROXY: "socks5://127.0.0.1:1080" }),
      /HTTPS_PROXY names a socks5 proxy \(127\.0\.0\.1:1080\).*NO_PROXY to include prices\.azure\.com/,
    );
  });
});
