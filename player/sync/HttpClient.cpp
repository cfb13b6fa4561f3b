#include "HttpClient.hpp"

#include "core/Url.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;

namespace milepost {

namespace {

// An open file descriptor with one owner.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0)
            ::close(fd);
    }
};

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size())
        return false;
    for (size_t i = 0; i < prefix.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i])
            return false;
    return true;
}

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return std::string(s);
}

} // namespace

// What one transfer's callbacks share with it.
struct Transfer {
    HttpResponse response;
    std::size_t max_bytes = 0;
    bool too_big = false;
    bool stopped = false;
    // download() only.
    int fd = -1;
    std::uint64_t offset = 0; // bytes already in the file when the request went out
    bool first_write = true;
    bool write_error = false;
    std::string write_error_text;
    const std::function<void(std::uint64_t)>* progress = nullptr;
    const std::function<bool()>* keep_going = nullptr;
    CURL* curl = nullptr;
    // The download cap, kept here rather than by libcurl, whose limit lets a
    // transfer that fits in the socket buffers through at full speed.
    std::int64_t max_rate = 0;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::uint64_t received = 0;
    // The whole request's deadline (CURLOPT_TIMEOUT_MS).
    std::chrono::milliseconds deadline{0};
};

struct HttpClient::Handle {
    struct Cleanup {
        void operator()(CURL* c) const { curl_easy_cleanup(c); }
    };
    std::unique_ptr<CURL, Cleanup> curl;
    HttpSettings settings;
    char error[CURL_ERROR_SIZE] = {};

    void prepare(const std::string& url, Transfer& t);
    Result<void> perform(const std::string& url, Transfer& t);
};

namespace {

// Holds the transfer back (TCP then slows the server) until `n` more bytes fit
// the cap since it started; returns false when told to stop meanwhile.
bool throttle(Transfer& t, size_t n) {
    t.received += n;
    if (t.max_rate <= 0)
        return true;
    using namespace std::chrono;
    const auto due = t.started + duration_cast<steady_clock::duration>(duration<double>(
                                     static_cast<double>(t.received) / t.max_rate));
    while (true) {
        const auto now = steady_clock::now();
        if (now >= due)
            return true;
        if (t.keep_going && *t.keep_going && !(*t.keep_going)()) {
            t.stopped = true;
            return false;
        }
        std::this_thread::sleep_for(std::min<steady_clock::duration>(due - now, 200ms));
    }
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    const std::string_view line(data, size * count);
    // Each response of a redirect chain starts with its status line.
    if (line.starts_with("HTTP/"))
        t.response.etag.clear();
    else if (starts_with_nocase(line, "etag:"))
        t.response.etag = trim(line.substr(5));
    return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    const size_t n = size * count;
    if (t.response.body.size() + n > t.max_bytes) {
        t.too_big = true;
        return 0;
    }
    t.response.body.append(data, n);
    t.response.body_bytes += n;
    return throttle(t, n) ? n : 0;
}

size_t on_file(char* data, size_t size, size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    const size_t n = size * count;
    long status = 0;
    curl_easy_getinfo(t.curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200 && status != 206)
        return n; // an error page: not written into the file
    if (t.first_write) {
        t.first_write = false;
        // A server that ignores Range sends the whole object again: start over.
        if (status == 200 && t.offset > 0) {
            if (::ftruncate(t.fd, 0) != 0) {
                t.write_error = true;
                t.write_error_text = std::strerror(errno);
                return 0;
            }
            t.offset = 0;
        }
    }
    if (t.offset + t.response.body_bytes + n > t.max_bytes) {
        t.too_big = true;
        return 0;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = ::write(t.fd, data + done, n - done);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            t.write_error = true;
            t.write_error_text = std::strerror(errno);
            return 0;
        }
        done += static_cast<size_t>(w);
    }
    t.response.body_bytes += n;
    if (t.progress && *t.progress)
        (*t.progress)(t.offset + t.response.body_bytes);
    return throttle(t, n) ? n : 0;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto& t = *static_cast<Transfer*>(user);
    if (t.keep_going && *t.keep_going && !(*t.keep_going)()) {
        t.stopped = true;
        return 1;
    }
    return 0;
}

} // namespace

void HttpClient::Handle::prepare(const std::string& url, Transfer& t) {
    CURL* c = curl.get();
    // A reset keeps the connection cache: the next request reuses the connection.
    curl_easy_reset(c);
    t.curl = c;
    t.keep_going = &settings.keep_going;
    error[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, settings.user_agent.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    // A request begun over https is never followed onto plain http: a redirect
    // from the server (or from anyone who can forge one) would otherwise carry it,
    // and what it sends, past TLS. Plain http may still move to https.
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, is_https_url(url) ? "https" : "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
                     static_cast<long>(settings.connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, settings.low_speed_limit);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(settings.low_speed_time.count()));
    // Certificates are always verified (libcurl's default, stated here so it stays).
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!settings.ca_file.empty()) {
        // The extra bundle, with the system's CAs still found in their folder.
        curl_easy_setopt(c, CURLOPT_CAINFO, settings.ca_file.c_str());
        curl_easy_setopt(c, CURLOPT_CAPATH, "/etc/ssl/certs");
    }
    t.max_rate = settings.max_rate;
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    // Proxies come from the environment (https_proxy, no_proxy), libcurl's default.
}

Result<void> HttpClient::Handle::perform(const std::string& full_url, Transfer& t) {
    // Errors are logged and reported: no userinfo or query string in them.
    const std::string url = redact_url(full_url);
    if (t.deadline.count() == 0)
        t.deadline = settings.request_deadline;
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(t.deadline.count()));
    const auto began = std::chrono::steady_clock::now();
    const CURLcode rc = curl_easy_perform(curl.get());
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &t.response.status);
    char* effective = nullptr;
    curl_easy_getinfo(curl.get(), CURLINFO_EFFECTIVE_URL, &effective);
    t.response.effective_url = effective ? effective : full_url;
    if (t.stopped)
        return Error{url + ": stopped"};
    if (t.too_big)
        return Error{url + ": larger than " + std::to_string(t.max_bytes) + " bytes"};
    if (t.write_error)
        return Error{url + ": cannot write the download: " + t.write_error_text};
    if (rc != CURLE_OK) {
        std::string why = error[0] ? error : curl_easy_strerror(rc);
        while (!why.empty() && why.back() == '\n')
            why.pop_back();
        switch (rc) {
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
            why += " (the server's certificate is not trusted; a private CA goes in [content] "
                   "ca_file)";
            break;
        case CURLE_TOO_MANY_REDIRECTS:
            why += " (a redirect loop?)";
            break;
        case CURLE_UNSUPPORTED_PROTOCOL:
            if (is_https_url(url))
                why += " (a redirect from https to plain http is refused)";
            break;
        case CURLE_FILESIZE_EXCEEDED:
            why = "larger than " + std::to_string(t.max_bytes) + " bytes";
            break;
        case CURLE_OPERATION_TIMEDOUT:
            // The whole request's deadline, not the connect timeout. curl counts its
            // time in whole milliseconds from its own clock readings: it ended a request
            // "after 4000 milliseconds" while steady_clock, read before curl started,
            // said a little less than 4 s.
            if (std::chrono::steady_clock::now() - began >=
                t.deadline - std::chrono::milliseconds(100))
                why = "not done within its deadline of " +
                      std::to_string(
                          std::chrono::duration_cast<std::chrono::seconds>(t.deadline).count()) +
                      " s (a server too slow; what arrived is kept)";
            break;
        default:
            break;
        }
        return Error{url + ": " + why};
    }
    if (t.response.status >= 400 || (t.response.status >= 300 && t.response.status != 304))
        return Error{url + ": HTTP " + std::to_string(t.response.status)};
    return {};
}

Result<HttpClient> HttpClient::create(HttpSettings settings) {
    static std::once_flag once;
    static CURLcode init = CURLE_OK;
    std::call_once(once, [] { init = curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (init != CURLE_OK)
        return Error{std::string("cannot start libcurl: ") + curl_easy_strerror(init)};
    auto h = std::make_unique<Handle>();
    h->curl.reset(curl_easy_init());
    if (!h->curl)
        return Error{"cannot start libcurl"};
    h->settings = std::move(settings);
    return HttpClient(std::move(h));
}

HttpClient::HttpClient(std::unique_ptr<Handle> handle) : m_handle(std::move(handle)) {}
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::get(const std::string& url, std::size_t max_bytes,
                                     const std::string& if_none_match) {
    Transfer t;
    t.max_bytes = max_bytes;
    m_handle->prepare(url, t);
    CURL* c = m_handle->curl.get();
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(max_bytes));
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, &curl_slist_free_all);
    if (!if_none_match.empty()) {
        headers.reset(curl_slist_append(nullptr, ("If-None-Match: " + if_none_match).c_str()));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    }
    if (auto r = m_handle->perform(url, t); !r)
        return r.error();
    return std::move(t.response);
}

Result<HttpResponse> HttpClient::download(const std::string& url, const std::filesystem::path& file,
                                          std::uint64_t max_bytes,
                                          const std::function<void(std::uint64_t)>& progress) {
    Fd out;
    out.fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out.fd < 0)
        return Error{file.string() + ": cannot write: " + std::strerror(errno)};
    Transfer t;
    t.fd = out.fd;
    t.max_bytes = max_bytes;
    t.progress = &progress;
    const off_t have = ::lseek(out.fd, 0, SEEK_END);
    t.offset = have > 0 ? static_cast<std::uint64_t>(have) : 0;
    m_handle->prepare(url, t);
    CURL* c = m_handle->curl.get();
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_file);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    if (t.offset > 0)
        curl_easy_setopt(c, CURLOPT_RANGE, (std::to_string(t.offset) + "-").c_str());
    const HttpSettings& s = m_handle->settings;
    std::int64_t floor = std::max<std::int64_t>(1, s.floor_rate);
    if (s.max_rate > 0)
        floor = std::clamp<std::int64_t>(s.max_rate / 2, 1, floor);
    const std::uint64_t to_come = max_bytes > t.offset ? max_bytes - t.offset : 0;
    t.deadline = std::chrono::duration_cast<std::chrono::milliseconds>(s.request_deadline) +
                 std::chrono::milliseconds(to_come * 1000 / static_cast<std::uint64_t>(floor));
    auto r = m_handle->perform(url, t);
    // What arrived is kept for the next try, even after an error.
    if (::fsync(out.fd) != 0 && r)
        return Error{file.string() + ": cannot sync: " + std::strerror(errno)};
    if (!r)
        return r.error();
    return std::move(t.response);
}

namespace {
struct Upload {
    std::string_view body;
    size_t sent = 0;
};
// libcurl rewinds the body when it must send it again (a kept-alive connection
// found closed, an HTTP/2 stream refused).
int on_seek(void* user, curl_off_t offset, int origin) {
    auto& u = *static_cast<Upload*>(user);
    if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > u.body.size())
        return CURL_SEEKFUNC_CANTSEEK;
    u.sent = static_cast<size_t>(offset);
    return CURL_SEEKFUNC_OK;
}
size_t on_read(char* out, size_t size, size_t count, void* user) {
    auto& u = *static_cast<Upload*>(user);
    const size_t n = std::min(size * count, u.body.size() - u.sent);
    std::memcpy(out, u.body.data() + u.sent, n);
    u.sent += n;
    return n;
}
} // namespace

Result<HttpResponse> HttpClient::put(const std::string& url, std::string_view body,
                                     const std::vector<std::string>& headers,
                                     const std::string& aws_sigv4, const std::string& userpwd) {
    Transfer t;
    t.max_bytes = 64 * 1024; // the answer's body: a few bytes
    m_handle->prepare(url, t);
    t.max_rate = 0; // the cap is for downloads
    CURL* c = m_handle->curl.get();
    Upload u{body};
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &u);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, &u);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    // A redirect would send the body somewhere else: not followed.
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> list(nullptr, &curl_slist_free_all);
    // No "Expect: 100-continue" round trip before each body.
    list.reset(curl_slist_append(list.release(), "Expect:"));
    for (const auto& h : headers)
        list.reset(curl_slist_append(list.release(), h.c_str()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
    if (!aws_sigv4.empty()) {
        curl_easy_setopt(c, CURLOPT_AWS_SIGV4, aws_sigv4.c_str());
        curl_easy_setopt(c, CURLOPT_USERPWD, userpwd.c_str());
    }
    if (auto r = m_handle->perform(url, t); !r)
        return r.error();
    if (t.response.status >= 300)
        return Error{redact_url(url) + ": HTTP " + std::to_string(t.response.status)};
    return std::move(t.response);
}

std::string curl_version_text() {
    return curl_version();
}

} // namespace milepost
