#include "Source.hpp"

#include "Ingest.hpp"
#include "core/Units.hpp"
#include "core/Url.hpp"

#include <curl/curl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

namespace milepost::fleet {

namespace fs = std::filesystem;

namespace {

class FolderSource : public Source {
public:
    explicit FolderSource(fs::path folder) : m_folder(std::move(folder)) {}

    Result<std::vector<SourceFile>> list() override {
        std::vector<SourceFile> out;
        std::error_code ec;
        fs::directory_iterator top(m_folder, ec);
        if (ec)
            return Error{m_folder.string() + ": cannot be read: " + ec.message()};
        std::vector<std::string> devices;
        for (const auto& entry : top) {
            const std::string name = entry.path().filename().string();
            if (entry.is_directory(ec) && !entry.is_symlink(ec) && is_device_id(name))
                devices.push_back(name);
        }
        std::sort(devices.begin(), devices.end());
        for (const std::string& d : devices) {
            std::vector<std::string> paths;
            // Not through a link: nothing outside SOURCE is read.
            const bool linked = fs::is_symlink(m_folder / d / "plays", ec);
            for (fs::directory_iterator it(m_folder / d / "plays", ec), end;
                 !linked && !ec && it != end; it.increment(ec))
                paths.push_back(d + "/plays/" + it->path().filename().string());
            ec.clear();
            std::sort(paths.begin(), paths.end());
            paths.push_back(d + "/status.json");
            paths.push_back(d + "/screenshot.png");
            for (const std::string& p : paths) {
                auto f = classify_path(p);
                struct stat st {};
                if (!f || ::lstat((m_folder / p).c_str(), &st) != 0)
                    continue;
                f->size = S_ISREG(st.st_mode) ? static_cast<std::int64_t>(st.st_size) : -1;
                f->mtime_ns =
                    static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
                out.push_back(std::move(*f));
            }
        }
        return out;
    }

    Result<std::string> read(const SourceFile& f, std::uint64_t max) override {
        std::ifstream in(m_folder / f.path, std::ios::binary);
        if (!in)
            return Error{"cannot be opened"};
        std::string bytes;
        bytes.resize(static_cast<std::size_t>(
            std::min<std::uint64_t>(max, std::max<std::int64_t>(f.size, 0))));
        in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        bytes.resize(static_cast<std::size_t>(in.gcount()));
        return bytes;
    }

    std::string name(const std::string& path) const override { return (m_folder / path).string(); }

private:
    fs::path m_folder;
};

std::size_t collect(char* data, std::size_t size, std::size_t n, void* out) {
    auto* buffer = static_cast<std::pair<std::string*, std::uint64_t>*>(out);
    if (buffer->first->size() + size * n > buffer->second)
        return 0; // over the limit: the transfer stops
    buffer->first->append(data, size * n);
    return size * n;
}

// The text of each <tag>...</tag> in `xml`, entities decoded (S3's answers are
// flat enough for this).
std::vector<std::string> elements(std::string_view xml, const std::string& tag) {
    std::vector<std::string> out;
    const std::string open = "<" + tag + ">", close = "</" + tag + ">";
    for (std::size_t at = xml.find(open); at != std::string_view::npos; at = xml.find(open, at)) {
        const std::size_t start = at + open.size(), end = xml.find(close, start);
        if (end == std::string_view::npos)
            break;
        std::string text(xml.substr(start, end - start));
        std::string decoded;
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (text[i] != '&') {
                decoded += text[i];
                continue;
            }
            const std::size_t semi = text.find(';', i);
            const std::string entity =
                semi == std::string::npos ? "" : text.substr(i, semi - i + 1);
            const char* plain = entity == "&amp;"    ? "&"
                                : entity == "&lt;"   ? "<"
                                : entity == "&gt;"   ? ">"
                                : entity == "&quot;" ? "\""
                                : entity == "&apos;" ? "'"
                                                     : nullptr;
            if (plain) {
                decoded += plain;
                i = semi;
            } else {
                decoded += '&';
            }
        }
        out.push_back(std::move(decoded));
        at = end + close.size();
    }
    return out;
}

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

class S3Source : public Source {
public:
    S3Source(std::string endpoint, std::string bucket, std::string prefix, std::string region,
             std::string key, std::string secret, std::string token)
        : m_endpoint(std::move(endpoint)), m_bucket(std::move(bucket)), m_prefix(std::move(prefix)),
          m_region(std::move(region)), m_key(std::move(key)), m_secret(std::move(secret)),
          m_token(std::move(token)) {}

    Result<std::vector<SourceFile>> list() override {
        std::vector<SourceFile> out;
        std::string token;
        for (;;) {
            // Query parameters in canonical (sorted) order, as SigV4 signs them.
            std::string query = token.empty() ? "" : "continuation-token=" + escape(token) + "&";
            query += "list-type=2&prefix=" + escape(m_prefix);
            auto page = get("/" + m_bucket + "?" + query, 64u << 20);
            if (!page)
                return Error{name("") + ": cannot be listed: " + page.error().message};
            const auto keys = elements(*page, "Key"), sizes = elements(*page, "Size"),
                       times = elements(*page, "LastModified"), etags = elements(*page, "ETag");
            if (sizes.size() != keys.size() || times.size() != keys.size())
                return Error{name("") +
                             ": cannot be listed: an answer that is not ListObjectsV2's"};
            for (std::size_t i = 0; i < keys.size(); ++i) {
                if (!keys[i].starts_with(m_prefix))
                    continue;
                auto f = classify_path(keys[i].substr(m_prefix.size()));
                if (!f)
                    continue;
                f->size = std::strtoll(sizes[i].c_str(), nullptr, 10);
                if (auto t = parse_rfc3339(times[i]))
                    f->mtime_ns = t->time_since_epoch().count() * 1000000;
                f->etag = i < etags.size() ? etags[i] : "";
                out.push_back(std::move(*f));
            }
            const auto truncated = elements(*page, "IsTruncated");
            const auto next = elements(*page, "NextContinuationToken");
            if (truncated.empty() || truncated[0] != "true" || next.empty())
                break;
            token = next[0];
        }
        std::sort(out.begin(), out.end(),
                  [](const SourceFile& a, const SourceFile& b) { return a.path < b.path; });
        return out;
    }

    Result<std::string> read(const SourceFile& f, std::uint64_t max) override {
        std::string path = "/" + m_bucket;
        const std::string key = m_prefix + f.path;
        std::size_t start = 0;
        while (start <= key.size()) {
            const std::size_t slash = std::min(key.find('/', start), key.size());
            path += "/" + escape(key.substr(start, slash - start));
            start = slash + 1;
        }
        return get(path, max);
    }

    std::string name(const std::string& path) const override {
        return "s3://" + m_bucket + "/" + m_prefix + path;
    }

private:
    std::string m_endpoint, m_bucket, m_prefix, m_region, m_key, m_secret, m_token;

    static std::string escape(const std::string& s) {
        char* e = curl_easy_escape(nullptr, s.c_str(), static_cast<int>(s.size()));
        std::string out = e ? e : "";
        curl_free(e);
        return out;
    }

    // A GET of endpoint + `path_and_query`, signed; the body when 200 and at most `max`.
    Result<std::string> get(const std::string& path_and_query, std::uint64_t max) const {
        CURL* curl = curl_easy_init();
        if (!curl)
            return Error{"libcurl cannot start"};
        std::string body;
        std::pair<std::string*, std::uint64_t> sink{&body, max};
        const std::string url = m_endpoint + path_and_query;
        const std::string sigv4 = "aws:amz:" + m_region + ":s3";
        const std::string userpwd = m_key + ":" + m_secret;
        curl_slist* headers = curl_slist_append(
            nullptr, "x-amz-content-sha256: "
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        if (!m_token.empty())
            headers = curl_slist_append(headers, ("x-amz-security-token: " + m_token).c_str());
        curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
        curl_easy_setopt(curl, CURLOPT_USERPWD, userpwd.c_str());
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, 300L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        const CURLcode rc = curl_easy_perform(curl);
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(curl);
        curl_slist_free_all(headers);
        if (rc == CURLE_WRITE_ERROR)
            return Error{"larger than the " + std::to_string(max >> 20) +
                         " MiB such a file can be"};
        if (rc != CURLE_OK)
            return Error{curl_easy_strerror(rc)};
        if (status != 200) {
            const auto code = elements(body, "Code"), message = elements(body, "Message");
            return Error{"HTTP " + std::to_string(status) + (code.empty() ? "" : ": " + code[0]) +
                         (message.empty() ? "" : " (" + message[0] + ")")};
        }
        return body;
    }
};

} // namespace

std::optional<SourceFile> classify_path(const std::string& path) {
    const std::size_t slash = path.find('/');
    if (slash == std::string::npos || !is_device_id(path.substr(0, slash)))
        return std::nullopt;
    SourceFile f;
    f.device = path.substr(0, slash);
    f.path = path;
    const std::string rest = path.substr(slash + 1);
    if (rest == "status.json")
        f.kind = SourceFile::Kind::Status;
    else if (rest == "screenshot.png")
        f.kind = SourceFile::Kind::Screenshot;
    else if (rest.starts_with("plays/") && rest.ends_with(".ndjson") &&
             rest.find('/', 6) == std::string::npos && rest.size() > 6 + 7)
        f.kind = SourceFile::Kind::Plays;
    else
        return std::nullopt;
    return f;
}

std::unique_ptr<Source> folder_source(const fs::path& folder) {
    return std::make_unique<FolderSource>(folder);
}

Result<std::unique_ptr<Source>> s3_source(const std::string& url, const std::string& endpoint) {
    if (!url.starts_with("s3://"))
        return Error{"expected s3://BUCKET/PREFIX/, not \"" + url + "\""};
    const std::string rest = url.substr(5);
    const std::size_t slash = rest.find('/');
    const std::string bucket = rest.substr(0, slash);
    std::string prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (!prefix.empty() && !prefix.ends_with('/'))
        prefix += '/';
    if (bucket.empty() || bucket.size() > 63)
        return Error{url + ": expected s3://BUCKET/PREFIX/"};
    std::string region = env("AWS_REGION");
    if (region.empty())
        region = env("AWS_DEFAULT_REGION");
    if (region.empty())
        region = "us-east-1";
    const std::string key = env("AWS_ACCESS_KEY_ID"), secret = env("AWS_SECRET_ACCESS_KEY");
    if (key.empty() || secret.empty())
        return Error{url + ": set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (a key that may "
                           "list and read the bucket)"};
    std::string base = endpoint.empty() ? "https://s3." + region + ".amazonaws.com" : endpoint;
    while (base.ends_with('/'))
        base.pop_back();
    if (!is_https_url(base) && !is_loopback_url(base))
        return Error{"--endpoint " + redact_url(base) +
                     ": expected an https:// URL (keys never travel over plain http, but to "
                     "this machine)"};
    return std::unique_ptr<Source>(std::make_unique<S3Source>(base, bucket, prefix, region, key,
                                                              secret, env("AWS_SESSION_TOKEN")));
}

} // namespace milepost::fleet
