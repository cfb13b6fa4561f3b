#pragma once
// HTTP(S) through libcurl, the only network code on the screen. One easy handle
// is reused, so connections are kept alive (and HTTP/2 used where the server
// offers it) across the manifest, its signature and every object.
#include "core/Result.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace milepost {

struct HttpSettings {
    std::string user_agent;    // "milepost/VERSION (device-id)"
    std::string ca_file;       // extra CA bundle, "" for the system's alone
    std::int64_t max_rate = 0; // download cap in bytes/s, 0 = none
    std::chrono::seconds connect_timeout{20};
    // A transfer slower than low_speed_limit bytes/s for low_speed_time is given up.
    long low_speed_limit = 100;
    std::chrono::seconds low_speed_time{60};
    // Every request has a total deadline, so that no server, however it trickles,
    // holds sync for long: get() and put() this long; download() this long plus
    // the bytes still to come at floor_rate bytes/s (at most half of max_rate
    // when that is lower), so that a large object on a slow link still arrives,
    // resumed from where the last try stopped.
    std::chrono::seconds request_deadline{120};
    std::int64_t floor_rate = 16 * 1024;
    // Called often during transfers (and while waiting on a slow server): false
    // stops the transfer at once (SIGTERM).
    std::function<bool()> keep_going;
};

struct HttpResponse {
    long status = 0;
    std::string etag;
    std::string body;             // get() only
    std::uint64_t body_bytes = 0; // bytes of body received
    std::string effective_url;
};

class HttpClient {
public:
    static Result<HttpClient> create(HttpSettings settings);
    HttpClient(HttpClient&&) noexcept;
    HttpClient& operator=(HttpClient&&) noexcept;
    ~HttpClient();

    // GET into memory. A 304 comes back as a response, any other status >= 400
    // as an error; a body over `max_bytes` is an error. `if_none_match`: an ETag.
    Result<HttpResponse> get(const std::string& url, std::size_t max_bytes,
                             const std::string& if_none_match = {});

    // GET appended to `file`: resumed with a Range request from the bytes the
    // file already holds, restarted when the server ignores the range. Stops
    // when the file would exceed `max_bytes`. The file is fsynced.
    Result<HttpResponse> download(const std::string& url, const std::filesystem::path& file,
                                  std::uint64_t max_bytes,
                                  const std::function<void(std::uint64_t)>& progress = {});

    // PUT `body`. `headers`: extra lines ("Authorization: Bearer ..."). `aws_sigv4`:
    // "aws:amz:REGION:s3" with `userpwd` "ACCESS:SECRET" signs the request for an
    // S3-compatible store (libcurl's CURLOPT_AWS_SIGV4). Any status >= 300 is an error.
    Result<HttpResponse> put(const std::string& url, std::string_view body,
                             const std::vector<std::string>& headers,
                             const std::string& aws_sigv4 = {}, const std::string& userpwd = {});

private:
    struct Handle;
    explicit HttpClient(std::unique_ptr<Handle> handle);
    std::unique_ptr<Handle> m_handle;
};

// The libcurl version line, for --version and the log.
std::string curl_version_text();

} // namespace milepost
