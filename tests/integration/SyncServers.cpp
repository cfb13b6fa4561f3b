#include "SyncServers.hpp"

#include <atomic>

#include "core/Channel.hpp"
#include "core/Manifest.hpp"
#include "core/Units.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace milepost::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

bool can_connect(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

bool send_all(int fd, const char* data, size_t n) {
    while (n > 0) {
        ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
        if (w <= 0)
            return false;
        data += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

} // namespace

// A port nobody listens on right now (the kernel's pick, released at once).
int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("no free port");
    ::close(fd);
    return ntohs(a.sin_port);
}

Nginx::Nginx(const fs::path& site, Tls tls, const std::string& extra)
    : m_tls(tls == Tls::SelfSigned) {
    if (m_tls) {
        auto r = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                      (m_dir / "key.pem").string(), "-out", certificate().string()});
        if (r.exit_code != 0)
            throw std::runtime_error("openssl req failed: " + r.err);
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
        m_port = free_port();
        const std::string d = m_dir.path().string();
        std::ostringstream conf;
        conf << (geteuid() == 0 ? "user root root;\n" : "") << "worker_processes 1;\n"
             << "pid " << d << "/nginx.pid;\nerror_log " << d << "/error.log warn;\n"
             << "events { worker_connections 64; }\nhttp {\n"
             << "  log_format t '$request_method $uri $status $body_bytes_sent $bytes_sent "
                "$request_length "
                "\"$http_range\" "
                "\"$http_user_agent\" \"$http_if_none_match\"';\n"
             << "  access_log " << d << "/access.log t;\n"
             << "  client_body_temp_path " << d << "/body;\n  proxy_temp_path " << d
             << "/proxy;\n  fastcgi_temp_path " << d << "/fastcgi;\n  uwsgi_temp_path " << d
             << "/uwsgi;\n  scgi_temp_path " << d << "/scgi;\n"
             << "  types { application/json json; }\n  default_type application/octet-stream;\n"
             << "  server {\n    listen 127.0.0.1:" << m_port << (m_tls ? " ssl" : "") << ";\n"
             << (m_tls ? "    ssl_certificate " + d + "/cert.pem;\n    ssl_certificate_key " + d +
                             "/key.pem;\n"
                       : std::string())
             << "    root " << fs::absolute(site).string() << ";\n"
             << "    location /channels/ { etag on; add_header Cache-Control no-cache always; }\n"
             << extra << "\n  }\n}\n";
        m_dir.write("nginx.conf", conf.str());
        const std::string nginx = fs::exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
        m_nginx = std::make_unique<Child>(
            std::vector<std::string>{nginx, "-p", d, "-c", d + "/nginx.conf", "-g", "daemon off;"});
        for (int i = 0; i < 100; ++i) {
            if (can_connect(m_port))
                return;
            if (m_nginx->ended())
                break;
            std::this_thread::sleep_for(20ms);
        }
        m_nginx.reset(); // the port was taken meanwhile: another one
    }
    throw std::runtime_error("nginx did not start: " + read_file(m_dir / "error.log"));
}

Nginx::~Nginx() {
    if (m_nginx) {
        m_nginx->kill(SIGQUIT);
        m_nginx->wait();
    }
}

std::string Nginx::url() const {
    return std::string(m_tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(m_port) + "/";
}

std::vector<AccessLine> Nginx::log() const {
    // nginx writes a line as each request ends; give the last one a moment.
    std::this_thread::sleep_for(50ms);
    std::vector<AccessLine> lines;
    std::istringstream in(read_file(m_dir / "access.log"));
    std::string text;
    while (std::getline(in, text)) {
        // METHOD URI STATUS BODY-BYTES BYTES REQUEST-BYTES "RANGE" "USER AGENT" "IF-NONE-MATCH"
        std::istringstream words(text);
        AccessLine l;
        if (!(words >> l.method >> l.uri >> l.status >> l.bytes >> l.response_bytes >>
              l.request_bytes))
            continue;
        std::string rest;
        std::getline(words, rest);
        std::vector<std::string> quoted;
        for (size_t at = rest.find('"'); at != std::string::npos;) {
            const size_t end = rest.find('"', at + 1);
            if (end == std::string::npos)
                break;
            quoted.push_back(rest.substr(at + 1, end - at - 1));
            at = rest.find('"', end + 1);
        }
        if (quoted.size() != 3)
            continue;
        l.range = quoted[0] == "-" ? "" : quoted[0];
        l.user_agent = quoted[1];
        l.if_none_match = quoted[2] == "-" ? "" : quoted[2];
        lines.push_back(l);
    }
    return lines;
}

void Nginx::clear_log() const {
    std::this_thread::sleep_for(50ms);
    // nginx keeps the file open in append mode: truncating it is enough.
    std::ofstream(m_dir / "access.log", std::ios::trunc);
}

FaultServer::FaultServer(fs::path site) : m_site(std::move(site)) {
    m_listen = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(m_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(m_listen, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(m_listen, 16) != 0 ||
        ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error("fault server: cannot listen");
    m_port = ntohs(a.sin_port);
    m_thread = std::thread([this] { serve(); });
}

FaultServer::~FaultServer() {
    m_stop = true;
    m_thread.join();
    ::close(m_listen);
}

std::string FaultServer::url() const {
    return "http://127.0.0.1:" + std::to_string(m_port) + "/";
}

void FaultServer::set_fault(const std::string& prefix, Fault fault) {
    std::lock_guard lock(m_mutex);
    m_faults[prefix] = fault;
}

std::vector<std::string> FaultServer::put_heads() const {
    std::lock_guard lock(m_mutex);
    return m_put_heads;
}

Serve::Serve(const fs::path& dir, int p) : root(dir), port(p) {
    fs::create_directories(dir / "site");
    std::ofstream(dir / "tokens.map")
        << "\"Bearer tok-1:screen-1\" 1;\n\"Bearer tok-2:screen-2\" 1;\n";
    child = std::make_unique<Child>(
        std::vector<std::string>{MILEPOST_SOURCE_DIR "/scripts/serve", (dir / "site").string(),
                                 std::to_string(port)},
        fs::path(),
        std::vector<std::string>{"TOKENS=" + (dir / "tokens.map").string(),
                                 "INGEST=" + (dir / "ingest").string()});
    // Ready when nginx answers.
    for (int i = 0; i < 100; ++i) {
        if (run({"curl", "-s", "-o", "/dev/null", "http://127.0.0.1:" + std::to_string(port) + "/"})
                .exit_code == 0)
            return;
        std::this_thread::sleep_for(50ms);
    }
    throw std::runtime_error("scripts/serve did not start");
}

Serve::~Serve() {
    child->kill(SIGTERM);
    child->wait();
}

std::vector<std::string> FaultServer::heads() const {
    std::lock_guard lock(m_mutex);
    return m_heads;
}

namespace {

std::string url_decode(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += s[i] == '+' ? ' ' : s[i];
        }
    }
    return out;
}

std::string query_value(const std::string& query, const std::string& key) {
    for (std::size_t start = 0; start < query.size();) {
        const std::size_t end = std::min(query.find('&', start), query.size());
        const std::string pair = query.substr(start, end - start);
        if (pair.starts_with(key + "="))
            return url_decode(pair.substr(key.size() + 1));
        start = end + 1;
    }
    return "";
}

// S3's ListObjectsV2 answer for the files under `bucket` whose keys start with
// `prefix`, `page` at a time after `token` (the last key of the page before).
std::string list_objects(const fs::path& bucket, const std::string& prefix,
                         const std::string& token, int page) {
    std::vector<std::string> keys;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(bucket, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_regular_file()) {
            const std::string key = fs::relative(it->path(), bucket).string();
            if (key.starts_with(prefix) && (token.empty() || key > token))
                keys.push_back(key);
        }
    std::sort(keys.begin(), keys.end());
    const bool truncated = static_cast<int>(keys.size()) > page;
    if (truncated)
        keys.resize(static_cast<std::size_t>(page));
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult "
                      "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>" +
                      bucket.filename().string() + "</Name><Prefix>" + prefix +
                      "</Prefix><KeyCount>" + std::to_string(keys.size()) +
                      "</KeyCount><IsTruncated>" + (truncated ? "true" : "false") +
                      "</IsTruncated>";
    if (truncated)
        xml += "<NextContinuationToken>" + keys.back() + "</NextContinuationToken>";
    for (const std::string& key : keys) {
        const fs::path file = bucket / key;
        const auto size = fs::file_size(file);
        const auto mtime = fs::last_write_time(file);
        const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::file_clock::to_sys(mtime).time_since_epoch());
        const WallTime at{std::chrono::duration_cast<std::chrono::milliseconds>(seconds)};
        // An ETag that changes with the content, as S3's MD5 does.
        const std::string etag = sha256_hex(read_file(file)).substr(0, 32);
        xml += "<Contents><Key>" + key + "</Key><LastModified>" +
               format_rfc3339_utc(at, TimeDigits::Milliseconds) + "</LastModified><ETag>&quot;" +
               etag + "&quot;</ETag><Size>" + std::to_string(size) +
               "</Size><StorageClass>STANDARD</StorageClass></Contents>";
    }
    return xml + "</ListBucketResult>\n";
}

} // namespace

std::vector<std::string> FaultServer::requests() const {
    std::lock_guard lock(m_mutex);
    return m_requests;
}

void FaultServer::serve() {
    while (!m_stop) {
        pollfd p{m_listen, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0)
            continue;
        int fd = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        handle(fd);
        ::close(fd);
    }
}

void FaultServer::handle(int fd) {
    // One request per connection ("Connection: close").
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 2000) <= 0)
            return;
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            return;
        head.append(buf, static_cast<size_t>(n));
    }
    std::istringstream in(head);
    std::string method, path;
    in >> method >> path;
    std::string range;
    std::uint64_t from = 0;
    std::string lower = head;
    for (char& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (auto at = lower.find("\r\nrange: bytes="); at != std::string::npos) {
        from = std::strtoull(head.c_str() + at + 15, nullptr, 10);
        range = "bytes=" + std::to_string(from) + "-";
    }
    Fault fault = Fault::None;
    {
        std::lock_guard lock(m_mutex);
        m_requests.push_back(method + " " + path + (range.empty() ? "" : " range=" + range));
        if (method == "PUT")
            m_put_heads.push_back(head.substr(0, head.find("\r\n\r\n")));
        m_heads.push_back(head.substr(0, head.find("\r\n\r\n")));
        for (auto& [prefix, f] : m_faults)
            if (path.starts_with(prefix)) {
                fault = f;
                if (f == Fault::ResetOnce || f == Fault::StoreThenHangOnce)
                    f = Fault::None;
            }
    }
    if (method == "PUT") {
        std::uint64_t length = 0;
        if (auto at = lower.find("\r\ncontent-length:"); at != std::string::npos)
            length = std::strtoull(head.c_str() + at + 17, nullptr, 10);
        std::string body = head.substr(head.find("\r\n\r\n") + 4);
        while (body.size() < length) {
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 2000) <= 0)
                return;
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0)
                return;
            body.append(buf, static_cast<size_t>(n));
        }
        const fs::path file = m_site / path.substr(1);
        fs::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary | std::ios::trunc) << body;
        if (fault == Fault::StoreThenHangOnce) {
            // Stored, but the answer never comes: the client gives up.
            while (!m_stop) {
                pollfd p{fd, POLLIN, 0};
                if (::poll(&p, 1, 50) > 0 && ::recv(fd, buf, sizeof buf, 0) <= 0)
                    return; // the client closed
            }
            return;
        }
        const std::string r =
            "HTTP/1.1 201 Created\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        send_all(fd, r.data(), r.size());
        return;
    }
    auto reply = [&](const std::string& status, const std::string& headers,
                     const std::string& body) {
        std::string r = "HTTP/1.1 " + status +
                        "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\n" + headers + "\r\n";
        send_all(fd, r.data(), r.size());
        if (method != "HEAD" && send_all(fd, body.data(), body.size()))
            m_sent += body.size();
    };
    if (fault == Fault::RedirectLoop) {
        reply("302 Found", "Location: " + path + "\r\n", "");
        return;
    }
    if (fault == Fault::Error500) {
        reply("500 Internal Server Error", "", "broken\n");
        return;
    }
    if (const auto q = path.find('?'); q != std::string::npos && method == "GET") {
        const std::string query = path.substr(q + 1);
        if (query_value(query, "list-type") == "2" && path.find("..") == std::string::npos) {
            reply("200 OK", "Content-Type: application/xml\r\n",
                  list_objects(m_site / path.substr(1, q - 1), query_value(query, "prefix"),
                               query_value(query, "continuation-token"), m_list_page));
            return;
        }
    }
    const fs::path file = m_site / url_decode(path.substr(1));
    if (path.find("..") != std::string::npos || !fs::is_regular_file(file)) {
        reply("404 Not Found", "", "not found\n");
        return;
    }
    const std::string data = read_file(file);
    if (fault == Fault::ResetOnce || fault == Fault::Trickle) {
        std::string h = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " +
                        std::to_string(data.size()) + "\r\n\r\n";
        send_all(fd, h.data(), h.size());
        if (fault == Fault::ResetOnce) {
            const size_t half = data.size() / 2;
            if (send_all(fd, data.data(), half))
                m_sent += half;
            linger l{1, 0}; // close() now sends a reset
            ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            return;
        }
        for (size_t i = 0; i < data.size() && !m_stop; ++i) {
            if (!send_all(fd, data.data() + i, 1))
                return;
            ++m_sent;
            std::this_thread::sleep_for(500ms);
        }
        return;
    }
    if (from > 0 && from < data.size()) {
        reply("206 Partial Content",
              "Content-Range: bytes " + std::to_string(from) + "-" +
                  std::to_string(data.size() - 1) + "/" + std::to_string(data.size()) + "\r\n",
              data.substr(from));
        return;
    }
    reply("200 OK", "", data);
}

Blob random_blob(const std::string& item, std::size_t size, std::uint64_t seed) {
    Blob b{item, std::string(size, '\0'), ""};
    std::mt19937_64 random(seed);
    for (size_t i = 0; i + 8 <= size; i += 8) {
        const std::uint64_t v = random();
        std::memcpy(&b.bytes[i], &v, 8);
    }
    return b;
}

std::string sha256_hex(const std::string& bytes) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

std::string publish(const fs::path& site, const MinisignSecretKey& key, const std::string& name,
                    std::int64_t sequence, const std::vector<Blob>& blobs,
                    const std::optional<SystemBundle>& system) {
    Channel c;
    c.name = name;
    c.title = "Test channel " + name;
    c.sequence = sequence;
    c.published = "2026-11-29T00:00:00Z";
    c.hotlines.push_back({"*", "", "National Human Trafficking Hotline", "1-888-373-7888", "233733",
                          "HELP", "https://humantraffickinghotline.org", "911"});
    fs::create_directories(site / "objects");
    for (const Blob& b : blobs) {
        Item item;
        item.id = b.item;
        item.type = ItemType::Video;
        item.media.object = sha256_hex(b.bytes);
        item.media.size = b.bytes.size();
        item.media.duration = 10;
        item.media.codec = "h264";
        const fs::path object = site / "objects" / item.media.object;
        if (!fs::exists(object))
            std::ofstream(object, std::ios::binary) << b.bytes;
        if (!b.captions.empty()) {
            const CaptionFile captions{"en", {}, sha256_hex(b.captions), b.captions.size()};
            std::ofstream(site / "objects" / captions.object, std::ios::binary) << b.captions;
            item.captions.push_back(captions);
        }
        c.items.push_back(item);
    }
    if (system) {
        const std::string bytes = read_file(system->file);
        c.system = *system;
        c.system->object = sha256_hex(bytes);
        c.system->size = bytes.size();
        if (!fs::exists(site / "objects" / c.system->object))
            std::ofstream(site / "objects" / c.system->object, std::ios::binary) << bytes;
    }
    const std::string manifest = manifest_json(c);
    const fs::path folder = site / "channels" / name;
    fs::create_directories(folder);
    std::ofstream(folder / "manifest.json", std::ios::binary | std::ios::trunc) << manifest;
    std::ofstream(folder / "manifest.json.minisig", std::ios::binary | std::ios::trunc)
        << minisign_sign(key, manifest, "timestamp:0\tfile:manifest.json");
    // nginx's ETag is the file's mtime in seconds and its size: a test publishing
    // twice in one second, same size, would get the old ETag. Each publication
    // gets a later time than the one before (a rollback too), as versions
    // published by hand always have.
    static std::atomic<int> publications{0};
    fs::last_write_time(folder / "manifest.json", fs::file_time_type::clock::now() +
                                                      std::chrono::seconds(2 * ++publications));
    return manifest;
}

std::string sync_config(const std::string& server, const MinisignPublicKey& key,
                        const std::string& channel, const std::string& extra) {
    return "[device]\nid = \"test-screen-1\"\nregion = \"US-TX\"\n\n[content]\nserver = \"" +
           server + "\"\nchannel = \"" + channel + "\"\npublic_key = \"" +
           minisign_public_key_line(key) + "\"\npoll_interval = \"10s\"\n" + extra;
}

} // namespace milepost::test
