#pragma once
// What Milepost needs to know about a URL without a URL library: its scheme, its
// host, whether that host is this machine, and a form fit for the log.
#include <string>
#include <string_view>

namespace milepost {

// The URL with its userinfo ("user:secret@") and its query string replaced by
// "***", so that a credential or a pre-signed link never reaches the journal,
// status.json or sync.json. Anything else is returned as it is.
std::string redact_url(std::string_view url);

// The host of "scheme://[userinfo@]host[:port]/...": "127.0.0.1", "localhost",
// "::1" (without its brackets), lower-cased; "" when there is none.
std::string url_host(std::string_view url);

// The host is this machine: 127.0.0.0/8, "localhost" or [::1]. Only there may a
// secret travel over plain http.
bool is_loopback_url(std::string_view url);

// "https://..." (any case).
bool is_https_url(std::string_view url);

} // namespace milepost
