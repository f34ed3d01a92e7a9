#!/usr/bin/env python3
"""Writes the committed seed corpus, seeds/<target>/, from the repository's tests/data,
/work/shared/vectors and /work/shared/corpus (when present) and the audit's examples.
Re-run after changing it; the files are committed, so CI needs none of the sources."""
import hashlib, json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.environ.get("CREDGATE_SHARED", "/work/shared")
OUT = os.path.join(HERE, "seeds")


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def nul(*parts):
    return b"\0".join(p.encode() if isinstance(p, str) else p for p in parts)


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError:
        return None


# ---- documents: selector byte + JSON ------------------------------------------------
templates = load(os.path.join(ROOT, "tests/data/templates.json")) or []
key = {"type": "api-key", "data": {"apiKey": "sk_live_CANARY_123"}}
basic = {"type": "basic-auth", "data": {"basicAuth": {"username": "u", "password": "pw_CANARY_1"}}}
client = {"type": "oauth2-client", "data": {"oauth2Client": {"clientId": "id", "clientSecret": "cs_CANARY_2"}}}
token = {"type": "oauth2-token", "data": {"oauth2Token": {"accessToken": "at_CANARY_3", "refreshToken": "rt_CANARY_4",
         "expiresAt": "2030-01-01T00:00:00Z", "tokenType": "Bearer"}}}
code = {"type": "oauth2-code", "data": {"oauth2Code": {"code": "code_CANARY_5", "state": "st",
        "redirectUrl": "https://app.example/cb", "additionalParams": "k=ap_CANARY_6"}}}
password = {"type": "oauth2-password", "data": {"oauth2Password": {"username": "u", "password": "pw_CANARY_7"}}}
oauth1_token = {"type": "oauth1-token", "data": {"oauth1Token": {"token": "t", "tokenSecret": "ts_CANARY_8",
                "additionalParams": [{"name": "oauth_session_handle", "value": "sh_CANARY_9"}]}}}
string_cred = {"type": "string", "data": {"string": "sk_live_CANARY_abc123"}}
credentials = [key, basic, client, token, code, password, oauth1_token, string_cred]

api_key_scheme = {"type": "api-key", "apiKey": {"id": "k", "name": "Authorization", "in": "header",
                  "valueTemplate": "Bearer {key}"}}
query_scheme = {"type": "api-key", "apiKey": {"id": "q", "name": "api_key", "in": "query"}}
basic_scheme = {"type": "basic-auth", "basicAuth": {"id": "b"}}
oauth2_scheme = {"type": "oauth2", "oauth2": {"id": "o", "tokenUrl": "https://auth.example.com/token",
                 "additionalTokenParams": "audience=aud_CANARY_10",
                 "grant": {"type": "clientCredentials", "clientCredentials": {}}}}
oauth2_code_scheme = {"type": "oauth2", "oauth2": {"id": "c", "tokenUrl": "https://auth.example.com/token",
                      "authorizationUrl": "https://auth.example.com/authorize", "pkce": True,
                      "grant": {"type": "authorizationCode", "authorizationCode": {"clientId": "app",
                                "clientSecret": "cs_CANARY_11"}}}}
oauth1_scheme = {"type": "oauth1", "oauth1": {"id": "o1", "consumerKey": "ck", "consumerSecret": "cs_CANARY_12",
                 "signatureMethod": "HMAC-SHA1"}}
hmac_scheme = {"type": "hmac", "hmac": {"id": "h", "algorithm": "sha256", "encoding": "hex", "in": "header",
               "name": "X-Sig", "digestInputs": ["body"],
               "timestamp": {"from": {"header": "X-Ts"}}}}
hmac_host = {"type": "hmac", "hmac": {"id": "h", "algorithm": "sha256", "encoding": "hex", "in": "header",
             "name": "X-Sig", "message": ["timestamp", "body"], "timestamp": {"from": {"header": "Host"}}}}
schemes = [api_key_scheme, query_scheme, basic_scheme, oauth2_scheme, oauth2_code_scheme, oauth1_scheme,
           hmac_scheme, hmac_host, {"type": "none", "none": {"id": "n"}}]


def template(name, base, schemes_):
    return {"name": name, "templateBaseUrl": base, "authSchemeConfigs": schemes_}


my_templates = [
    template("weather", "https://api.weather.example/v2", [api_key_scheme]),
    template("q", "https://api.example.com", [query_scheme]),
    template("jira", "https://acme.atlassian.net/rest/api/3", [basic_scheme]),
    template("crm", "https://api.crm.example", [oauth2_scheme]),
    template("app", "https://myapp.herokuapp.com", [oauth2_code_scheme]),
    template("tw", "https://api.twitter.com/1.1", [oauth1_scheme]),
    template("signed", "https://api.example.com/v1", [api_key_scheme, hmac_host]),
    template("clear", "http://api.example.com", [api_key_scheme]),
    template("ctl", "https://api.example.com/\r\nx", [api_key_scheme]),
]
for t in templates + my_templates:
    write("documents", bytes([0]) + json.dumps(t).encode())
for s in [{"id": "sys", "name": "weather", "domain": "weather.example",
           "templateBaseUrl": "https://api.weather.example", "authSchemeConfigs": [api_key_scheme, basic_scheme]}]:
    write("documents", bytes([1]) + json.dumps(s).encode())
for s in schemes:
    write("documents", bytes([2]) + json.dumps(s).encode())
for c in credentials + [{"type": "api-key", "data": {"apiKey": 12345678}},
                        {"type": "string", "data": {"string": ["sk_live_CANARY"]}}]:
    write("documents", bytes([3]) + json.dumps(c).encode())
connection = {"id": "c1", "name": "weather-prod", "connectionTemplateId": "t1",
              "credentials": [{"authSchemeConfig": api_key_scheme, "credential": key}]}
write("documents", bytes([4]) + json.dumps(connection).encode())
write("documents", bytes([4]) + json.dumps(dict(connection, baseUrl="https://evil.herokuapp.com")).encode())
activation = {"id": "a1", "user": {"externalId": "user-1"}, "environment": "prod", "connections": [connection]}
write("documents", bytes([5]) + json.dumps(activation).encode())
for w in [{"preset": "stripe", "secrets": ["whsec_CANARY_live"]},
          {"preset": "stripe", "secrets": "whsec_live_CANARY123"},
          {"scheme": hmac_scheme, "secrets": ["CANARY_hmac"], "pastTolerance": 30},
          {"preset": "github", "secrets": ["******"]}]:
    write("documents", bytes([6]) + json.dumps(w).encode())
env = {"name": "prod", "templates": my_templates[:4], "links": [{"template": "weather", "connection": "c1"}]}
write("documents", bytes([7]) + json.dumps(env).encode())
pairs = [(my_templates[0], [key]), (my_templates[1], [key]), (my_templates[2], [basic]),
         (my_templates[3], [client]), (my_templates[4], [code]), (my_templates[4], [token]),
         (my_templates[5], [oauth1_token]), (my_templates[6], [key, {"type": "secret", "data": {"secret": "CANARY_s"}}]),
         (my_templates[7], [key])]
for t, c in pairs:
    write("documents", bytes([8]) + json.dumps([t, c]).encode())
write("documents", bytes([9]) + json.dumps([my_templates[0], connection]).encode())
write("documents", bytes([9]) + json.dumps([my_templates[0], dict(connection, baseUrl="https://api.weather.example/v3")]).encode())
registry = {"systems": [], "environments": [env], "connections": [connection], "activations": [activation]}
write("documents", bytes([10]) + json.dumps(registry).encode())

# ---- authorize_uri: selector, base URL, request URI, Host ---------------------------
bases = ["https://api.example.com/v2", "https://api.example.com", "http://localhost:8080/api",
         "https://myapp.herokuapp.com", "https://API.Example.com:443/v1/", "http://api.example.com",
         "https://[::1]:8443/x", "https://api.example.com/v2/"]
nango = load(os.path.join(SHARED, "corpus/nango_providers.json"))
if isinstance(nango, dict):
    nango = list(nango.values())
for p in (nango or [])[:400:20]:
    if isinstance(p, dict) and isinstance(p.get("base_url"), str):
        bases.append(p["base_url"])
uris = ["/forecast?city=Oslo", "/../admin", "/v2/..\\admin", "/.\\x", "/%2e%2e/admin", "/a/%5C..%5Cb",
        "https://evil.example.com/steal", "//evil.example.com/x", "?q=1", "", "*", "/x?api_key=old",
        "https://api.example.com/v2/ok", "http://api.example.com/v2/x", "/a//b/./c"]
hosts = ["", "api.example.com", "evil.example.com", "api.example.com:443", "API.EXAMPLE.COM"]
for i, b in enumerate(bases):
    for j, u in enumerate(uris):
        if (i + j) % 4 and i >= 2:
            continue
        sel = (i + j) % 5 | (0x08 if j % 3 == 0 else 0) | (0x10 if j % 2 else 0)
        write("authorize_uri", nul(bytes([sel]), b, u, hosts[(i + j) % len(hosts)]))

# ---- webhook_verify: config, now, signed URL, URI, headers, body, chunks -------------
PRESETS = {"github-sha256": "github", "github-sha1": "github-sha1"}
vectors = load(os.path.join(SHARED, "vectors/webhooks-public.json")) or \
    load(os.path.join(ROOT, "tests/data/webhooks-public.json")) or []
for v in vectors:
    if v.get("secret_encoding", "utf8") != "utf8":
        continue
    preset = PRESETS.get(v["scheme"], v["scheme"])
    cfg = {"preset": preset, "secrets": [v["secret"]] + v.get("secrets_fallback", [])}
    if v.get("tolerance_s"):
        cfg["pastTolerance"] = v["tolerance_s"]
    headers = "\n".join(f"{k}: {val}" for k, val in v["headers"].items())
    write("webhook_verify", nul(json.dumps(cfg), str(v.get("now", 1700000000)), "", "/hooks", headers,
                                v["body"], bytes([3, 7, 1])))
for preset in ["stripe", "shopify", "slack", "standard-webhooks", "svix", "twilio", "square", "zoom",
               "intercom", "linear", "paddle", "woocommerce", "hubspot-v3", "mailgun", "calendly", "typeform"]:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" if preset in ("standard-webhooks", "svix") else "CANARY_wh_secret"
    cfg = {"preset": preset, "secrets": [secret]}
    write("webhook_verify", nul(json.dumps(cfg), "1700000000", "https://hooks.example.com/in",
                                "https://hooks.example.com/in", "webhook-id: msg_1\nStripe-Signature: t=1700000000,v1=00",
                                '{"event":"x"}', bytes([5])))
for scheme in [hmac_scheme, {"type": "hmac", "hmac": {"id": "sig", "algorithm": "sha512", "digestInputs": ["url", "body"],
               "encoding": "base64url", "in": "header", "name": "X-Signature"}}]:
    write("webhook_verify", nul(json.dumps({"scheme": scheme, "secrets": ["CANARY_s1", "CANARY_s2"]}), "1700000000", "",
                                "https://api.example.com/in", "X-Sig: 00\nX-Ts: 1700000000", '{"n": 1}', b"\x02"))

# ---- oauth2_token_response: selector, status, headers, body --------------------------
responses = [
    (200, "application/json", '{"access_token":"at-1","token_type":"bearer","expires_in":3600,"refresh_token":"rt-2","scope":"a b"}'),
    (200, "application/json", '{"access_token":"at-1","token_type":"Bearer","expires_in":"3600"}'),
    (200, "application/x-www-form-urlencoded", "access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&scope=repo%2Cgist&token_type=bearer"),
    (200, "text/plain", '{"access_token":"at","expires_in":0}'),
    (200, "text/html", '<html><a href="/x?a=1&access_token=portal-nonce">continue</a></html>'),
    (400, "text/html", "<html><body>Bad Request</body></html>"),
    (400, "application/json", '{"error":"invalid_grant","error_description":"refresh token rt_CANARY_7f3a9c is revoked"}'),
    (401, "application/json", '{"error":"invalid_client","error_description":"bad secret cs CANARY/42+&x<y>\\"z"}'),
    (401, "application/json", '{"error":"invalid_client","error_description":"bad secret cs+CANARY%2F42%2B%26x%3Cy%3E%22z"}'),
    (401, "application/json", '{"error":"invalid_client","error_description":"cs CANARY&#x2F;42+&amp;x&lt;y&gt;&quot;z"}'),
    (400, "application/json", '{"error":"invalid_request","error_description":"password pw CANARY=%21& rejected"}'),
    (200, "application/json", '{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}'),
    (200, "application/json", '{"ok":false,"error":"invalid_code"}'),
    (429, "application/json", '{"error":"slow_down"}'),
    (503, "text/plain", "try later"),
    (307, "application/json", ""),
    (200, "application/json", '{"access_token":"","token_type":"bearer"}'),
    (200, "application/json", '{"access_token":"at","token_type":"mac","expires_in":-5}'),
    (200, "application/json", '{"access_token":"at","expires_in":1e300}'),
    (400, "text/plain", "invalid_grant"),
]
extra_headers = {429: "\nretry-after: 120", 503: "\nretry-after: Wed, 21 Oct 2015 07:28:00 GMT",
                 307: "\nlocation: https://evil.example/token"}
for i, (status, ctype, body) in enumerate(responses):
    for sel in (i % 4, (i + 1) % 4 | 4):
        write("oauth2_token_response", nul(bytes([sel]), str(status),
                                           f"content-type: {ctype}" + extra_headers.get(status, ""), body))

# ---- oauth1_sign: selector, key, realm, name, value, URI, content type, body, nonce ---
cases = [
    ("dpf43f3p2l4k3l03", "", "", "", "http://photos.example.net/photos?file=vacation.jpg&size=original", "", "", "kllo9940pd9333jh"),
    ("9djdj82h48djs9d2", "Example", "", "", "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b", "application/x-www-form-urlencoded", "c2&a3=2+q", "7d8f3e4a"),
    ("ck", "", "oauth_session_handle", "******", "https://api.example.com/x?a=b?", "", "", "n"),
    ("ck", "", "", "", "https://api.example.com/x", "application/x-www-form-urlencoded", "a=b?", "n"),
    ("ck", "", "a", "1", "https://api.example.com/x?a=1&a=2&", "application/x-www-form-urlencoded", "a=b&", "n"),
    ("ck", "r", "", "", "https://API.Example.COM:443/%7Euser/a b", "", "", "n"),
    ("c k+%", "", "", "", "http://example.com:8080/?=&&=x", "application/x-www-form-urlencoded", "%zz", "n"),
    ("ck", "", "", "", "/relative", "", "", "n"),
    ("ck", "", "", "", "https://api.example.com/x?oauth_token=evil", "", "", "n"),
]
for i, (k, realm, name, value, uri, ctype, body, nonce) in enumerate(cases):
    for sel in (i % 3 | ((i % 3) << 2) | (0x10 if realm else 0) | ((i % 8) << 5), (i + 1) % 3 | 0x40):
        write("oauth1_sign", nul(bytes([sel]), k, realm, name, value, uri, ctype, body, nonce))
print("seeds written to", OUT, file=sys.stderr)
