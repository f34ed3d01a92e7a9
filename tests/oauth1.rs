//! OAuth 1.0a known answers, each stage (base string, signature, header) checked on its
//! own: RFC 5849's published examples, the widely published Twitter example, and credgate's
//! own cases for each rule of what is signed.
//!
//! The expected values of credgate's own cases were computed independently of credgate,
//! with Python's `hmac`, `hashlib`, `base64` and `urllib.parse.quote(s, safe="-._~")`
//! (parameters sorted as encoded byte strings), for example:
//!
//! ```text
//! python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b"c%20s&t%24s", BASE.encode(), hashlib.sha1).digest()))'
//! ```

use std::sync::Arc;

use credgate::auth::oauth1::{OAuth1Flow, OAuth1FlowError, TemporaryCredentials};
use credgate::auth::{Authenticator, OAuth1};
use credgate::{
    AuthError, BuildError, Connection, ConnectionTemplate, Credential, ManualClock,
    OAuth1Placement, OAuth1Scheme, OAuth1SignatureMethod, OAuth1TokenCredential, RandomSource,
};
use http::Request;

/// Fills every buffer with 0, 1, 2, ...: the nonce is `000102030405060708090a0b0c0d0e0f`.
#[derive(Debug)]
struct Counting;

impl RandomSource for Counting {
    fn fill_bytes(&self, dest: &mut [u8]) {
        for (i, b) in dest.iter_mut().enumerate() {
            *b = i as u8;
        }
    }
}

const PHOTOS_KEY: &str = "dpf43f3p2l4k3l03";
const PHOTOS_SECRET: &str = "kd94hf93k423kf44";

fn photos() -> OAuth1Scheme {
    OAuth1Scheme::new(PHOTOS_KEY, PHOTOS_SECRET, OAuth1SignatureMethod::Sha1)
        .with_realm("Photos")
        .with_endpoints(
            "https://photos.example.net/initiate",
            "https://photos.example.net/authorize",
            "https://photos.example.net/token",
        )
}

fn header(signed: &credgate::auth::oauth1::SignedRequest) -> &str {
    signed
        .authorization()
        .expect("header placement")
        .to_str()
        .expect("ASCII header")
}

// RFC 5849 §1.2, first request: temporary credentials.
#[test]
fn rfc5849_1_2_temporary_credentials_request() {
    let flow = OAuth1Flow::new(&photos()).unwrap();
    let signer = flow
        .temporary_credentials_signer("http://printer.example.com/ready")
        .unwrap();
    let request = Request::post("https://photos.example.net/initiate")
        .body(Vec::new())
        .unwrap();
    let signed = signer.sign(&request, 137131200, "wIjqoS").unwrap();
    assert_eq!(
        signed.base_string(),
        "POST&https%3A%2F%2Fphotos.example.net%2Finitiate&oauth_callback%3Dhttp%253A%252F%252Fprinter.example.com%252Fready%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DwIjqoS%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131200"
    );
    assert_eq!(signed.signature(), "74KNZJeDHnMBp0EMJ9ZHt/XKycU=");
    // The RFC's header, in its order, with ", " between parameters.
    assert_eq!(
        header(&signed),
        "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", \
         oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"137131200\", \
         oauth_nonce=\"wIjqoS\", oauth_callback=\"http%3A%2F%2Fprinter.example.com%2Fready\", \
         oauth_signature=\"74KNZJeDHnMBp0EMJ9ZHt%2FXKycU%3D\""
    );

    // The server's answer, then the authorization URL.
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"oauth_token=hh5s93j4hdidpola&oauth_token_secret=hdhd0244k9j7ao03&oauth_callback_confirmed=true".to_vec())
        .unwrap();
    let temporary = flow.read_temporary_credentials(&response).unwrap();
    assert_eq!(temporary.token().expose_secret(), "hh5s93j4hdidpola");
    assert_eq!(temporary.token_secret().expose_secret(), "hdhd0244k9j7ao03");
    assert_eq!(
        flow.authorization_url(&temporary).unwrap(),
        "https://photos.example.net/authorize?oauth_token=hh5s93j4hdidpola"
    );
}

// RFC 5849 §1.2, second request: token credentials.
#[test]
fn rfc5849_1_2_token_request() {
    let flow = OAuth1Flow::new(&photos()).unwrap();
    let temporary = TemporaryCredentials::new("hh5s93j4hdidpola", "hdhd0244k9j7ao03");
    let signer = flow.token_signer(&temporary, "hfdp7dh39dks9884").unwrap();
    let request = Request::post("https://photos.example.net/token")
        .body(Vec::new())
        .unwrap();
    let signed = signer.sign(&request, 137131201, "walatlh").unwrap();
    assert_eq!(
        signed.base_string(),
        "POST&https%3A%2F%2Fphotos.example.net%2Ftoken&oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dwalatlh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dhh5s93j4hdidpola%26oauth_verifier%3Dhfdp7dh39dks9884"
    );
    assert_eq!(signed.signature(), "gKgrFCywp7rO0OXSjdot/IHF7IU=");
    assert_eq!(
        header(&signed),
        "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", \
         oauth_token=\"hh5s93j4hdidpola\", oauth_signature_method=\"HMAC-SHA1\", \
         oauth_timestamp=\"137131201\", oauth_nonce=\"walatlh\", \
         oauth_verifier=\"hfdp7dh39dks9884\", oauth_signature=\"gKgrFCywp7rO0OXSjdot%2FIHF7IU%3D\""
    );

    let response = http::Response::builder()
        .status(200)
        .body(b"oauth_token=nnch734d00sl2jdk&oauth_token_secret=pfkkdhi9sl3r4s00".to_vec())
        .unwrap();
    let token = flow.read_token_credentials(&response).unwrap();
    assert_eq!(
        token,
        OAuth1TokenCredential::new("nnch734d00sl2jdk", "pfkkdhi9sl3r4s00")
    );
}

// RFC 5849 §1.2, third request: the protected resource.
#[test]
fn rfc5849_1_2_resource_request() {
    let token = OAuth1TokenCredential::new("nnch734d00sl2jdk", "pfkkdhi9sl3r4s00");
    let oauth1 = OAuth1::new(&photos(), &token).unwrap();
    let mut request =
        Request::get("http://photos.example.net/photos?file=vacation.jpg&size=original")
            .body(())
            .unwrap();
    let signed = oauth1.sign(&request, 137131202, "chapoH").unwrap();
    assert_eq!(
        signed.base_string(),
        "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal"
    );
    assert_eq!(signed.signature(), "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
    let expected = "OAuth realm=\"Photos\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", \
         oauth_token=\"nnch734d00sl2jdk\", oauth_signature_method=\"HMAC-SHA1\", \
         oauth_timestamp=\"137131202\", oauth_nonce=\"chapoH\", \
         oauth_signature=\"MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D\"";
    assert_eq!(header(&signed), expected);
    signed.apply(&mut request).unwrap();
    assert_eq!(request.headers()["authorization"], expected);
    assert!(request.headers()["authorization"].is_sensitive());
    assert_eq!(
        request.uri(),
        "http://photos.example.net/photos?file=vacation.jpg&size=original"
    );
}

// RFC 5849 §3.4.1.1 (and §3.4.1.3): `c@`, `a2=r b`, `a3` twice (once in a `+` form body).
// The RFC gives no secrets for this request, so the signature is checked with secrets of
// our own (Python: key b"j49sk3j29djd&dh893hdasih9"); the RFC's printed signature is not
// used.
#[test]
fn rfc5849_3_4_1_1_base_string() {
    let scheme = OAuth1Scheme::new(
        "9djdj82h48djs9d2",
        "j49sk3j29djd",
        OAuth1SignatureMethod::Sha1,
    )
    .with_realm("Example");
    let token = OAuth1TokenCredential::new("kkk9d7dh3k39sjv7", "dh893hdasih9");
    let oauth1 = OAuth1::new(&scheme, &token).unwrap();
    let request = Request::post("http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"c2&a3=2+q".to_vec())
        .unwrap();
    let signed = oauth1.sign(&request, 137131201, "7d8f3e4a").unwrap();
    assert_eq!(
        signed.base_string(),
        "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
    );
    assert_eq!(signed.signature(), "r6/TJjbCOr97/+UU0NsvSne7s5g=");
    assert_eq!(
        header(&signed),
        "OAuth realm=\"Example\", oauth_consumer_key=\"9djdj82h48djs9d2\", \
         oauth_token=\"kkk9d7dh3k39sjv7\", oauth_signature_method=\"HMAC-SHA1\", \
         oauth_timestamp=\"137131201\", oauth_nonce=\"7d8f3e4a\", \
         oauth_signature=\"r6%2FTJjbCOr97%2F%2BUU0NsvSne7s5g%3D\""
    );
}

// RFC 5849 §2.1 and §2.3 with PLAINTEXT (§3.4.4), word for word with `omitPlaintextNonce`:
// no timestamp or nonce, the signature is the encoded secrets, percent-encoded again in the
// header.
#[test]
fn rfc5849_2_plaintext_flow() {
    let scheme = OAuth1Scheme::new(
        "jd83jd92dhsh93js",
        "ja893SD9",
        OAuth1SignatureMethod::Plaintext,
    )
    .omitting_plaintext_nonce()
    .with_realm("Example")
    .with_endpoints(
        "https://server.example.com/request_temp_credentials",
        "https://server.example.com/authorize_access",
        "https://server.example.com/request_token",
    );
    let flow = OAuth1Flow::new(&scheme).unwrap();

    let request = flow
        .temporary_credentials_request("http://client.example.net/cb?x=1")
        .unwrap();
    assert_eq!(request.method(), "POST");
    assert_eq!(
        request.uri(),
        "https://server.example.com/request_temp_credentials"
    );
    assert_eq!(
        request.headers()["authorization"],
        "OAuth realm=\"Example\", oauth_consumer_key=\"jd83jd92dhsh93js\", \
         oauth_signature_method=\"PLAINTEXT\", \
         oauth_callback=\"http%3A%2F%2Fclient.example.net%2Fcb%3Fx%3D1\", \
         oauth_signature=\"ja893SD9%26\""
    );

    let temporary = TemporaryCredentials::from_form(
        b"oauth_token=hdk48Djdsa&oauth_token_secret=xyz4992k83j47x0b&oauth_callback_confirmed=true",
    )
    .unwrap();
    assert_eq!(
        flow.authorization_url(&temporary).unwrap(),
        "https://server.example.com/authorize_access?oauth_token=hdk48Djdsa"
    );

    let signer = flow.token_signer(&temporary, "473f82d3").unwrap();
    let request = Request::post("https://server.example.com/request_token")
        .body(Vec::new())
        .unwrap();
    let signed = signer.sign(&request, 0, "ignored").unwrap();
    assert_eq!(signed.signature(), "ja893SD9&xyz4992k83j47x0b");
    assert_eq!(
        header(&signed),
        "OAuth realm=\"Example\", oauth_consumer_key=\"jd83jd92dhsh93js\", \
         oauth_token=\"hdk48Djdsa\", oauth_signature_method=\"PLAINTEXT\", \
         oauth_verifier=\"473f82d3\", oauth_signature=\"ja893SD9%26xyz4992k83j47x0b\""
    );

    let token = credgate::auth::oauth1::token_credentials_from_form(
        b"oauth_token=j49ddk933skd9dks&oauth_token_secret=ll399dj47dskfjdk",
    )
    .unwrap();
    assert_eq!(token.token.expose_secret(), "j49ddk933skd9dks");
    assert_eq!(token.token_secret.expose_secret(), "ll399dj47dskfjdk");
}

// PLAINTEXT encodes each secret (§3.4.4) and the header encodes the result again (§3.5.1):
// `$` becomes `%24`, then `%2524`.
#[test]
fn plaintext_signature_is_encoded_twice_in_the_header() {
    let scheme = OAuth1Scheme::new("key", "djr9rjt0jd78jf88", OAuth1SignatureMethod::Plaintext);
    let token = OAuth1TokenCredential::new("t", "jjd99$tj88uiths3");
    let oauth1 = OAuth1::new(&scheme, &token).unwrap();
    let request = Request::get("https://api.example.com/").body(()).unwrap();
    let signed = oauth1.sign(&request, 1, "n").unwrap();
    assert_eq!(signed.signature(), "djr9rjt0jd78jf88&jjd99%24tj88uiths3");
    assert_eq!(
        format!("{signed:?}"),
        "SignedRequest { placement: \"header\", .. }"
    );
    assert!(!format!("{oauth1:?}").contains("jjd99"));
    assert!(
        header(&signed).ends_with("oauth_signature=\"djr9rjt0jd78jf88%26jjd99%2524tj88uiths3\"")
    );
}

// RFC 5849 §3.4.4: PLAINTEXT sends the secrets, so only over TLS and never in a URL.
#[test]
fn plaintext_is_refused_without_https_and_in_the_query() {
    let scheme = OAuth1Scheme::new("key", "consumer-secret", OAuth1SignatureMethod::Plaintext);
    let token = OAuth1TokenCredential::new("t", "token-secret");
    let oauth1 = OAuth1::new(&scheme, &token).unwrap();
    let mut request = Request::get("http://api.example.com/p").body(()).unwrap();
    let err = oauth1.authorize(&mut request).unwrap_err();
    assert!(matches!(err, AuthError::UnsupportedUri { .. }), "{err}");
    assert!(request.headers().is_empty());
    assert!(!err.to_string().contains("secret"));

    let in_query = scheme.with_placement(OAuth1Placement::Query);
    let err = OAuth1::new(&in_query, &token).unwrap_err();
    assert!(
        matches!(
            err,
            BuildError::InvalidValue {
                field: "signature method",
                ..
            }
        ),
        "{err}"
    );
}

// The Twitter example; it verifies only with the `/1/` URL.
#[test]
fn twitter_example() {
    let scheme = OAuth1Scheme::new(
        "xvz1evFS4wEEPTGEFPHBog",
        "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        OAuth1SignatureMethod::Sha1,
    );
    let token = OAuth1TokenCredential::new(
        "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    )
    .with_param("oauth_version", "1.0");
    let oauth1 = OAuth1::new(&scheme, &token).unwrap();
    let request =
        Request::post("https://api.twitter.com/1/statuses/update.json?include_entities=true")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                b"status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21"
                    .to_vec(),
            )
            .unwrap();
    let signed = oauth1
        .sign(
            &request,
            1318622958,
            "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
        )
        .unwrap();
    assert_eq!(
        signed.base_string(),
        "POST&https%3A%2F%2Fapi.twitter.com%2F1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521"
    );
    assert_eq!(signed.signature(), "tnnArxj06cWHq44gCs1OSKk/jLY=");
    assert_eq!(
        header(&signed),
        "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", \
         oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", \
         oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1318622958\", \
         oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", oauth_version=\"1.0\", \
         oauth_signature=\"tnnArxj06cWHq44gCs1OSKk%2FjLY%3D\""
    );
}

/// Consumer secret `c s` and token secret `t$s` (key `c%20s&t%24s`), consumer key `ck`,
/// token `tk`, timestamp 1700000000, nonce `n0nce`.
fn own(method: OAuth1SignatureMethod) -> OAuth1 {
    let scheme = OAuth1Scheme::new("ck", "c s", method);
    OAuth1::new(&scheme, &OAuth1TokenCredential::new("tk", "t$s")).unwrap()
}

const OWN_PROTOCOL: &str = "oauth_consumer_key%3Dck%26oauth_nonce%3Dn0nce%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1700000000%26oauth_token%3Dtk";

/// Signs `request` with [`own`] HMAC-SHA1 and checks the base string and signature.
fn check_own<B: credgate::auth::RequestBody>(
    request: &Request<B>,
    base_string: &str,
    signature: &str,
) {
    let signed = own(OAuth1SignatureMethod::Sha1)
        .sign(request, 1_700_000_000, "n0nce")
        .unwrap();
    assert_eq!(signed.base_string(), base_string);
    assert_eq!(signed.signature(), signature);
    assert!(header(&signed).ends_with(&format!(
        "oauth_signature=\"{}\"",
        signature.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D")
    )));
}

fn get(uri: &str) -> Request<()> {
    Request::get(uri).body(()).unwrap()
}

#[test]
fn scheme_and_host_are_lowercased_and_default_ports_dropped() {
    let base = format!("GET&https%3A%2F%2Fexample.com%2Fa%2520b%2FC&{OWN_PROTOCOL}");
    for uri in [
        "https://EXAMPLE.com:0443/a%20b/C",
        "https://example.com:443/a%20b/C",
        "https://example.com:/a%20b/C",
        "HTTPS://Example.Com/a%20b/C",
    ] {
        check_own(&get(uri), &base, "FFcWpzmKxIFDe6bjwrgn/gCeBCo=");
    }
    check_own(
        &get("HTTP://Example.COM:8080/"),
        &format!("GET&http%3A%2F%2Fexample.com%3A8080%2F&{OWN_PROTOCOL}"),
        "PDYMj2SIWVGuVNVG2B+9xwndQqY=",
    );
}

#[test]
fn an_empty_path_is_signed_as_a_slash() {
    for uri in ["https://api.example.com", "https://api.example.com?x=1"] {
        let signed = own(OAuth1SignatureMethod::Sha1)
            .sign(&get(uri), 1, "n")
            .unwrap();
        assert!(
            signed
                .base_string()
                .starts_with("GET&https%3A%2F%2Fapi.example.com%2F&"),
            "{uri}"
        );
    }
}

#[test]
fn ipv6_hosts_keep_their_brackets() {
    check_own(
        &get("http://[2001:DB8::1]:80/p?x=1"),
        &format!("GET&http%3A%2F%2F%5B2001%3Adb8%3A%3A1%5D%2Fp&{OWN_PROTOCOL}%26x%3D1"),
        "PyEN6cor6R+VGiqatmBsSilWO38=",
    );
}

#[test]
fn userinfo_is_never_signed() {
    check_own(
        &get("https://user:pw@api.example.com/p"),
        &format!("GET&https%3A%2F%2Fapi.example.com%2Fp&{OWN_PROTOCOL}"),
        "EGindZMAqSH+vCpxbBSbREKBGhg=",
    );
}

#[test]
fn a_fragment_is_never_signed() {
    // `http::Uri` drops a fragment when it parses, or refuses it: either way it is not
    // signed.
    if let Ok(request) = Request::get("https://api.example.com/p#frag").body(()) {
        check_own(
            &request,
            &format!("GET&https%3A%2F%2Fapi.example.com%2Fp&{OWN_PROTOCOL}"),
            "EGindZMAqSH+vCpxbBSbREKBGhg=",
        );
    }
}

#[test]
fn repeated_query_parameters_are_all_signed_sorted_by_value() {
    check_own(
        &get("https://api.example.com/p?a=2&a=1&a=10&b="),
        &format!(
            "GET&https%3A%2F%2Fapi.example.com%2Fp&a%3D1%26a%3D10%26a%3D2%26b%3D%26{OWN_PROTOCOL}"
        ),
        "PMaynd/ILAlQTjpfPZRfsxYepSQ=",
    );
}

#[test]
fn a_query_parameter_named_realm_is_signed() {
    check_own(
        &get("https://api.example.com/p?realm=q"),
        &format!("GET&https%3A%2F%2Fapi.example.com%2Fp&{OWN_PROTOCOL}%26realm%3Dq"),
        "jWowg7EFoGiIr8VmPW9gJPfHIbc=",
    );
}

#[test]
fn percent_escapes_are_decoded_exactly_once() {
    // `%253D` is `%3D` (not `=`), `%2B` is `+`, a bare `+` is a space.
    check_own(
        &get("https://api.example.com/p?v=%253D%2B+"),
        &format!("GET&https%3A%2F%2Fapi.example.com%2Fp&{OWN_PROTOCOL}%26v%3D%25253D%252B%2520"),
        "y6tZd4fX3BZhEw6wPEX4qDofBj0=",
    );
}

#[test]
fn bytes_that_are_not_utf8_stay_percent_encoded() {
    check_own(
        &get("https://api.example.com/p?k=%FF%fe"),
        &format!("GET&https%3A%2F%2Fapi.example.com%2Fp&k%3D%25FF%25FE%26{OWN_PROTOCOL}"),
        "F0GAzHL8sRo8ADPL9kW0ZyUEzNU=",
    );
}

#[test]
fn parameters_sort_by_encoded_name_then_encoded_value() {
    // Raw order would put `a b` before `a-` and `é` before `~`; encoded, `%20` < `-` and
    // `%C3` < `~`.
    check_own(
        &get("https://api.example.com/p?a%20b=1&a~=2&a-=3&a.b=4&A=5&a=%C3%A9&a=%7E"),
        &format!(
            "GET&https%3A%2F%2Fapi.example.com%2Fp&A%3D5%26a%3D%25C3%25A9%26a%3D~%26a%2520b%3D1%26a-%3D3%26a.b%3D4%26a~%3D2%26{OWN_PROTOCOL}"
        ),
        "cnFcT+BYZjDtbrefAoFAWv3gSQ0=",
    );
}

#[test]
fn form_bodies_are_signed_with_plus_as_space() {
    let request = Request::post("https://api.example.com/p?q=1")
        .header(
            "content-type",
            "Application/X-WWW-Form-URLEncoded; charset=utf-8",
        )
        .body("text=a+b%2Bc&x".to_owned())
        .unwrap();
    check_own(
        &request,
        &format!(
            "POST&https%3A%2F%2Fapi.example.com%2Fp&{OWN_PROTOCOL}%26q%3D1%26text%3Da%2520b%252Bc%26x%3D"
        ),
        "yq3Kqdthtl8aiABm8377r0IxJQQ=",
    );
}

#[test]
fn other_bodies_are_not_signed() {
    let base = format!("POST&https%3A%2F%2Fapi.example.com%2Fp&{OWN_PROTOCOL}");
    for content_type in ["application/json", "multipart/form-data; boundary=x"] {
        let request = Request::post("https://api.example.com/p")
            .header("content-type", content_type)
            .body(b"text=a+b".to_vec())
            .unwrap();
        check_own(&request, &base, "P4b0vsskXnqTPwai3rqTGxTqEPA=");
    }
    // Without a Content-Type the body is not a form either.
    let request = Request::post("https://api.example.com/p")
        .body(b"text=a+b".to_vec())
        .unwrap();
    check_own(&request, &base, "P4b0vsskXnqTPwai3rqTGxTqEPA=");
}

#[test]
fn hmac_sha256() {
    let signed = own(OAuth1SignatureMethod::Sha256)
        .sign(&get("https://api.example.com/p"), 1_700_000_000, "n0nce")
        .unwrap();
    assert_eq!(
        signed.base_string(),
        "GET&https%3A%2F%2Fapi.example.com%2Fp&oauth_consumer_key%3Dck%26oauth_nonce%3Dn0nce%26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1700000000%26oauth_token%3Dtk"
    );
    assert_eq!(
        signed.signature(),
        "kl0h/Govmv1FH7ahpbI7hfUkaYsb3Zrd2QjmJe+AZtU="
    );
}

// NetSuite token-based auth: HMAC-SHA256, realm = account id from the platform's JSON plus
// credgate's `realm`, through a LiveConnection with an injected clock and randomness.
#[test]
fn live_connection_from_platform_json() {
    let template: ConnectionTemplate = serde_json::from_str(
        r#"{"name": "netsuite", "templateBaseUrl": "https://1234567.suitetalk.api.netsuite.com/services/rest",
            "authSchemeConfigs": [{"type": "oauth1", "oauth1": {"id": "tba", "consumerKey": "ck",
                "consumerSecret": "cs", "signatureMethod": "sha256", "tokenAuth": true,
                "realm": "1234567", "validationMessages": []}}]}"#,
    )
    .unwrap();
    let connection: Connection = serde_json::from_str(
        r#"{"id": "c1", "credentials": [{
            "authSchemeConfig": {"type": "oauth1", "oauth1": {"id": "tba", "consumerKey": "ck",
                "consumerSecret": "cs", "signatureMethod": "sha256", "tokenAuth": true, "realm": "1234567"}},
            "credential": {"type": "oauth1-token", "data": {"oauth1Token": {"token": "tk", "tokenSecret": "ts"}}}}]}"#,
    )
    .unwrap();
    let live = credgate::LiveConnection::builder(&connection)
        .template(&template)
        .clock(Arc::new(ManualClock::at_unix_seconds(1_700_000_000)))
        .random(Arc::new(Counting))
        .build()
        .unwrap();
    let mut request = get("/record/v1/customer?limit=5");
    live.authorize(&mut request).unwrap();
    assert_eq!(
        request.uri(),
        "https://1234567.suitetalk.api.netsuite.com/services/rest/record/v1/customer?limit=5"
    );
    // Python: HMAC-SHA256 keyed b"cs&ts" over the base string of this request.
    assert_eq!(
        request.headers()["authorization"],
        "OAuth realm=\"1234567\", oauth_consumer_key=\"ck\", oauth_token=\"tk\", \
         oauth_signature_method=\"HMAC-SHA256\", oauth_timestamp=\"1700000000\", \
         oauth_nonce=\"000102030405060708090a0b0c0d0e0f\", \
         oauth_signature=\"KfHB%2BS5wGk17dyDAXvx%2FGhdoGxFBEzQAz4c4Q8fifoU%3D\""
    );
    assert!(request.headers()["authorization"].is_sensitive());
    assert_eq!(
        live.redacted(&request).to_string(),
        "GET https://1234567.suitetalk.api.netsuite.com/services/rest/record/v1/customer?limit=5\nauthorization: ******\n"
    );
}

fn placed(placement: OAuth1Placement) -> OAuth1 {
    let scheme =
        OAuth1Scheme::new("ck", "cs", OAuth1SignatureMethod::Sha1).with_placement(placement);
    let token = OAuth1TokenCredential::new("tk", "ts").with_param("oauth_version", "1.0");
    OAuth1::new(&scheme, &token)
        .unwrap()
        .with_clock(Arc::new(ManualClock::at_unix_seconds(1_700_000_000)))
        .with_random(Arc::new(Counting))
}

#[test]
fn query_placement_appends_the_parameters_and_signs_them() {
    let mut request = get("https://api.example.com/1.1/statuses?count=2");
    placed(OAuth1Placement::Query)
        .authorize(&mut request)
        .unwrap();
    // Python: HMAC-SHA1 keyed b"cs&ts", oauth_version=1.0 signed too.
    assert_eq!(
        request.uri(),
        "https://api.example.com/1.1/statuses?count=2&oauth_consumer_key=ck&oauth_token=tk\
         &oauth_signature_method=HMAC-SHA1&oauth_timestamp=1700000000\
         &oauth_nonce=000102030405060708090a0b0c0d0e0f&oauth_version=1.0\
         &oauth_signature=fs6lVWNvrjKWbutXNFffrAKC53Y%3D"
    );
    assert!(request.headers().is_empty());
}

#[test]
fn query_placement_is_redacted_in_logs() {
    let template: ConnectionTemplate = serde_json::from_str(
        r#"{"name": "api", "templateBaseUrl": "https://api.example.com",
            "authSchemeConfigs": [{"type": "oauth1", "oauth1": {"consumerKey": "ck",
                "consumerSecret": "cs", "signatureMethod": "sha1", "placement": "query"}}]}"#,
    )
    .unwrap();
    let token = Credential::OAuth1Token(OAuth1TokenCredential::new("tk", "ts"));
    let live = template
        .connect(vec![token])
        .unwrap()
        .build(&template)
        .unwrap();
    let mut request = get("/p?x=1");
    live.authorize(&mut request).unwrap();
    let shown = live.redacted(&request).to_string();
    assert!(shown.contains("oauth_token=******"), "{shown}");
    assert!(shown.contains("oauth_signature=******"), "{shown}");
    assert!(shown.contains("x=1&oauth_consumer_key=ck"), "{shown}");
}

#[test]
fn body_placement_appends_to_the_form_and_sets_its_content_type() {
    let mut request = Request::post("https://api.example.com/1.1/statuses")
        .body(b"status=hi%20there".to_vec())
        .unwrap();
    let oauth1 = placed(OAuth1Placement::Body);
    oauth1.authorize(&mut request).unwrap();
    // The signature itself is checked in `body_placement_signature_matches_python`.
    let body = String::from_utf8(request.body().clone()).unwrap();
    assert!(body.starts_with(
        "status=hi%20there&oauth_consumer_key=ck&oauth_token=tk&oauth_signature_method=HMAC-SHA1\
         &oauth_timestamp=1700000000&oauth_nonce=000102030405060708090a0b0c0d0e0f&oauth_version=1.0\
         &oauth_signature="
    ));
    assert_eq!(
        request.headers()["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(request.uri(), "https://api.example.com/1.1/statuses");
}

#[test]
fn body_placement_signature_matches_python() {
    let scheme = OAuth1Scheme::new("ck", "cs", OAuth1SignatureMethod::Sha1)
        .with_placement(OAuth1Placement::Body);
    let oauth1 = OAuth1::new(&scheme, &OAuth1TokenCredential::new("tk", "ts")).unwrap();
    let request = Request::post("https://api.example.com/1.1/statuses")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"status=hi%20there".to_vec())
        .unwrap();
    let signed = oauth1
        .sign(&request, 1_700_000_000, "000102030405060708090a0b0c0d0e0f")
        .unwrap();
    // Python: HMAC-SHA1 keyed b"cs&ts", parameters status="hi there" and the protocol ones.
    assert_eq!(signed.signature(), "chOeaOBZA6gf6C8seg49r+GjIiw=");
    assert!(
        signed
            .body()
            .unwrap()
            .ends_with(b"&oauth_signature=chOeaOBZA6gf6C8seg49r%2BGjIiw%3D")
    );
    assert!(signed.authorization().is_none() && signed.uri().is_none());
}

// Bad input: a clear error, the request unchanged, no panic.

fn assert_unchanged_on_error<B>(oauth1: &OAuth1, mut request: Request<B>, expected: AuthError)
where
    B: credgate::auth::RequestBody + Clone + PartialEq + std::fmt::Debug,
{
    let (uri, headers, body) = (
        request.uri().clone(),
        request.headers().clone(),
        request.body().clone(),
    );
    assert_eq!(oauth1.authorize(&mut request).unwrap_err(), expected);
    assert_eq!(request.uri(), &uri);
    assert_eq!(request.headers(), &headers);
    assert_eq!(request.body(), &body);
}

#[test]
fn relative_uris_are_refused() {
    let oauth1 = placed(OAuth1Placement::Header);
    assert_unchanged_on_error(
        &oauth1,
        get("/relative?x=1"),
        AuthError::UnsupportedUri {
            reason: "must be absolute (with a scheme and host) to be signed",
        },
    );
}

#[test]
fn malformed_forms_are_refused() {
    let oauth1 = placed(OAuth1Placement::Header);
    for body in [&b"a=%zz"[..], b"a=%4", b"a=%"] {
        let request = Request::post("https://api.example.com/p")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_vec())
            .unwrap();
        assert_unchanged_on_error(
            &oauth1,
            request,
            AuthError::UnsupportedBody {
                reason: "has a % that is not followed by two hex digits",
            },
        );
    }
    let request = Request::post("https://api.example.com/p")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"a=\xff".to_vec())
        .unwrap();
    let err = oauth1.sign(&request, 1, "n").unwrap_err();
    assert!(err.to_string().starts_with("request body "), "{err}");
    assert_unchanged_on_error(
        &oauth1,
        get("https://api.example.com/p?a=%G0"),
        AuthError::UnsupportedUri {
            reason: "has a % that is not followed by two hex digits",
        },
    );
}

#[test]
fn requests_already_signed_are_refused() {
    let oauth1 = placed(OAuth1Placement::Header);
    assert_unchanged_on_error(
        &oauth1,
        get("https://api.example.com/p?oauth_signature=x"),
        AuthError::UnsupportedUri {
            reason: "already carries an OAuth protocol parameter credgate sends",
        },
    );
}

#[test]
fn body_placement_needs_a_replaceable_form_body() {
    let oauth1 = placed(OAuth1Placement::Body);
    let json = Request::post("https://api.example.com/p")
        .header("content-type", "application/json")
        .body(b"{}".to_vec())
        .unwrap();
    assert_unchanged_on_error(
        &oauth1,
        json,
        AuthError::UnsupportedBody {
            reason: "must be application/x-www-form-urlencoded to carry the OAuth parameters",
        },
    );
    let fixed: Request<&[u8]> = Request::post("https://api.example.com/p")
        .body(&b""[..])
        .unwrap();
    assert_unchanged_on_error(
        &oauth1,
        fixed,
        AuthError::UnsupportedBody {
            reason: "cannot be replaced to carry the OAuth parameters",
        },
    );
}

#[test]
fn bad_credentials_are_refused_when_built() {
    let scheme = OAuth1Scheme::new("ck", "cs", OAuth1SignatureMethod::Sha1);
    let build = |scheme: &OAuth1Scheme, token: OAuth1TokenCredential| {
        OAuth1::new(scheme, &token).unwrap_err()
    };
    assert_eq!(
        build(&scheme, OAuth1TokenCredential::new("tk", "")),
        BuildError::Empty {
            field: "token secret"
        }
    );
    // No "connection template" where none is involved; the fix is named.
    let err = build(&scheme, OAuth1TokenCredential::new("", "ts"));
    assert!(
        matches!(err, BuildError::InvalidValue { field: "token", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("OAuth1::consumer_only"), "{err}");
    assert!(!err.to_string().contains("template"), "{err}");
    assert_eq!(
        build(&scheme, OAuth1TokenCredential::new("tk", "******")),
        BuildError::Redacted {
            field: "token secret"
        }
    );
    assert_eq!(
        build(
            &OAuth1Scheme::new("ck", "******", OAuth1SignatureMethod::Sha1),
            OAuth1TokenCredential::new("tk", "ts")
        ),
        BuildError::Redacted {
            field: "consumer secret"
        }
    );
    assert_eq!(
        build(
            &scheme,
            OAuth1TokenCredential::new("tk", "ts").with_param("oauth_nonce", "x")
        ),
        BuildError::InvalidName {
            name: "oauth_nonce".into(),
            location: "OAuth1 protocol parameter"
        }
    );
    assert!(matches!(
        build(
            &scheme.clone().with_realm("a\"b"),
            OAuth1TokenCredential::new("tk", "ts")
        ),
        BuildError::InvalidValue { field: "realm", .. }
    ));
    assert!(matches!(
        build(
            &scheme.clone().with_placement(OAuth1Placement::Query),
            OAuth1TokenCredential::new("tk", "ts").with_param("realm", "r")
        ),
        BuildError::InvalidValue { field: "realm", .. }
    ));
}

#[test]
fn connections_need_token_credentials() {
    let template: ConnectionTemplate = serde_json::from_str(
        r#"{"name": "api", "templateBaseUrl": "https://api.example.com",
            "authSchemeConfigs": [{"type": "oauth1", "oauth1": {"consumerKey": "ck",
                "consumerSecret": "cs", "signatureMethod": "sha1", "tokenAuth": true}}]}"#,
    )
    .unwrap();
    let err = template.connect(vec![]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "token and token secret are required for this connection template"
    );
    let err = template
        .connect(vec![Credential::api_key("k")])
        .unwrap_err();
    assert_eq!(err, BuildError::OAuth1TokenRequired);
    let listed: Credential = serde_json::from_str(
        r#"{"type": "oauth1-token", "data": {"oauth1Token": {"token": "tk", "tokenSecret": "******"}}}"#,
    )
    .unwrap();
    assert_eq!(
        template.connect(vec![listed]).unwrap_err(),
        BuildError::Redacted {
            field: "token secret"
        }
    );
}

#[test]
fn the_scheme_json_round_trips_with_credgate_fields() {
    let json = r#"{"type":"oauth1","oauth1":{"id":"tba","consumerKey":"ck","consumerSecret":"******","signatureMethod":"plaintext","tokenAuth":true,"realm":"r","placement":"body"}}"#;
    let scheme: credgate::AuthSchemeConfig = serde_json::from_str(json).unwrap();
    assert_eq!(serde_json::to_string(&scheme).unwrap(), json);
    let credgate::AuthSchemeConfig::OAuth1(oauth1) = scheme else {
        panic!("oauth1")
    };
    assert_eq!(oauth1.signature_method, OAuth1SignatureMethod::Plaintext);
    assert_eq!(oauth1.placement, OAuth1Placement::Body);
}

// The flow's responses.

#[test]
fn temporary_credentials_need_a_confirmed_callback_and_both_fields() {
    let read = |body: &[u8]| TemporaryCredentials::from_form(body).unwrap_err();
    assert_eq!(
        read(b"oauth_token=a&oauth_token_secret=b"),
        OAuth1FlowError::CallbackConfirmationMissing
    );
    assert_eq!(
        read(b"oauth_token=a&oauth_token_secret=b&oauth_callback_confirmed=false"),
        OAuth1FlowError::CallbackNotConfirmed
    );
    assert_eq!(
        read(b"oauth_token=a&oauth_callback_confirmed=true"),
        OAuth1FlowError::MissingField {
            field: "oauth_token_secret"
        }
    );
    assert_eq!(
        read(b"oauth_token=&oauth_token_secret=b&oauth_callback_confirmed=true"),
        OAuth1FlowError::MissingField {
            field: "oauth_token"
        }
    );
    assert_eq!(
        read(b"oauth_problem=consumer_key_unknown"),
        OAuth1FlowError::ErrorResponse {
            status: 200,
            problem: Some("consumer_key_unknown".into())
        }
    );
    // Only the code: what a server appends may be the token or verifier it refused.
    assert_eq!(
        read(b"oauth_problem=token_rejected%20TMPTOKEN%20TMPSECRET"),
        OAuth1FlowError::ErrorResponse {
            status: 200,
            problem: Some("token_rejected".into())
        }
    );
    assert!(matches!(
        read(b"oauth_token=%zz"),
        OAuth1FlowError::InvalidResponse { .. }
    ));
}

#[test]
fn error_statuses_are_errors_without_the_body() {
    let flow = OAuth1Flow::new(&photos()).unwrap();
    let response = http::Response::builder()
        .status(401)
        .body(b"<html>oauth_token_secret=leaked</html>".to_vec())
        .unwrap();
    let err = flow.read_token_credentials(&response).unwrap_err();
    assert_eq!(
        err,
        OAuth1FlowError::ErrorResponse {
            status: 401,
            problem: None
        }
    );
    assert!(!err.to_string().contains("leaked"));
}

#[test]
fn flow_refuses_missing_endpoints_and_inputs() {
    let scheme = OAuth1Scheme::new("ck", "cs", OAuth1SignatureMethod::Sha1);
    assert!(matches!(
        OAuth1Flow::new(&scheme).unwrap_err(),
        BuildError::InvalidValue {
            field: "temporary credential endpoint",
            ..
        }
    ));
    let relative = scheme.with_endpoints(
        "/initiate",
        "https://a.example/authorize",
        "https://a.example/token",
    );
    assert!(matches!(
        OAuth1Flow::new(&relative).unwrap_err(),
        BuildError::InvalidValue {
            field: "temporary credential endpoint",
            reason: "must be an absolute http or https URL"
        }
    ));
    let flow = OAuth1Flow::new(&photos()).unwrap();
    // RFC 5849 §2.1: an absolute URI, or exactly `oob`.
    for callback in ["", "not a uri", "relative/path", "/cb", "OOB"] {
        assert!(
            matches!(
                flow.temporary_credentials_request(callback).unwrap_err(),
                OAuth1FlowError::InvalidInput {
                    field: "callback",
                    ..
                }
            ),
            "{callback}"
        );
    }
    for callback in ["oob", "https://client.example/cb?x=1", "myapp://oauth"] {
        assert!(
            flow.temporary_credentials_request(callback).is_ok(),
            "{callback}"
        );
    }
    let temporary = TemporaryCredentials::new("a", "b");
    assert!(matches!(
        flow.token_request(&temporary, "").unwrap_err(),
        OAuth1FlowError::InvalidInput {
            field: "verifier",
            ..
        }
    ));
}

#[test]
fn flow_requests_are_signed_with_the_injected_clock_and_randomness() {
    let flow = OAuth1Flow::new(&photos())
        .unwrap()
        .with_clock(Arc::new(ManualClock::at_unix_seconds(137131201)))
        .with_random(Arc::new(Counting));
    let temporary = TemporaryCredentials::new("hh5s93j4hdidpola", "hdhd0244k9j7ao03");
    let request = flow.token_request(&temporary, "hfdp7dh39dks9884").unwrap();
    let expected = flow
        .token_signer(&temporary, "hfdp7dh39dks9884")
        .unwrap()
        .sign(
            &request_without_auth(&request),
            137131201,
            "000102030405060708090a0b0c0d0e0f",
        )
        .unwrap();
    assert_eq!(
        request.headers()["authorization"],
        expected.authorization().unwrap()
    );
    assert!(request.body().is_empty());
}

fn request_without_auth(request: &Request<Vec<u8>>) -> Request<Vec<u8>> {
    Request::post(request.uri().clone())
        .body(Vec::new())
        .unwrap()
}
