#pragma once
// What the milepost-sync tests serve channels with: a real nginx on loopback
// (optionally HTTPS with a self-signed certificate), a small HTTP server that
// makes the faults nginx cannot (a reset mid-object, a trickle, a redirect
// loop), and signed channels of random objects written into a SITE.
#include "core/Channel.hpp"
#include "core/Minisign.hpp"
#include "support/TestSupport.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace milepost::test {

// One line of nginx's access log.
struct AccessLine {
    std::string method, uri;
    int status = 0;
    std::uint64_t bytes = 0;          // body bytes sent
    std::uint64_t response_bytes = 0; // all bytes sent: headers and body
    std::uint64_t request_bytes = 0;  // the request, headers included
    std::string range, user_agent, if_none_match;
};

class Nginx {
public:
    enum class Tls { Off, SelfSigned };
    // Serves `site` on 127.0.0.1 at a free port. `extra`: more nginx directives for
    // the server block (a "location = /x { return 302 ...; }" to redirect one path).
    explicit Nginx(const std::filesystem::path& site, Tls tls = Tls::Off,
                   const std::string& extra = {});
    ~Nginx();
    std::string url() const; // "http://127.0.0.1:PORT/"
    std::filesystem::path certificate() const { return m_dir / "cert.pem"; }
    std::vector<AccessLine> log() const;
    void clear_log() const;

private:
    TempDir m_dir;
    int m_port = 0;
    bool m_tls = false;
    std::unique_ptr<Child> m_nginx;
};

// scripts/serve (the real nginx config) on `port`, serving DIR/site and taking
// uploads into DIR/ingest from screen-1 (token tok-1) and screen-2 (tok-2).
struct Serve {
    std::filesystem::path root;
    int port;
    std::unique_ptr<Child> child;
    Serve(const std::filesystem::path& dir, int p);
    ~Serve();
    Serve(const Serve&) = delete;
    Serve& operator=(const Serve&) = delete;
};

class FaultServer {
public:
    enum class Fault {
        None,         // serves the file, with Range
        ResetOnce,    // half the body, then a TCP reset; the next request is served
        Trickle,      // one byte every half second
        RedirectLoop, // 302 to itself
        Error500,
        StoreThenHangOnce, // a PUT: stores the body, then never answers; once
    };
    explicit FaultServer(std::filesystem::path site);
    ~FaultServer();
    std::string url() const; // "http://127.0.0.1:PORT/"
    // Requests whose path starts with `prefix` get `fault`.
    void set_fault(const std::string& prefix, Fault fault);
    // PUTs store their body under the site folder and answer 201.
    // "GET /objects/ab.. range=bytes=100-", one per request.
    std::vector<std::string> requests() const;
    std::uint64_t body_bytes_sent() const { return m_sent; }
    // The request line and headers of every PUT, as received.
    std::vector<std::string> put_heads() const;
    // Of every request.
    std::vector<std::string> heads() const;
    // Answers S3's ListObjectsV2 (GET /BUCKET?list-type=2&prefix=P[&continuation-token=T])
    // from the files under SITE/BUCKET/, `page` keys at a time; objects are its files.
    void set_list_page(int page) { m_list_page = page; }

private:
    void serve();
    void handle(int fd);

    std::filesystem::path m_site;
    int m_listen = -1;
    int m_port = 0;
    std::atomic<bool> m_stop{false};
    std::atomic<std::uint64_t> m_sent{0};
    mutable std::mutex m_mutex; // guards m_faults, m_requests and m_put_heads
    std::map<std::string, Fault> m_faults;
    std::vector<std::string> m_requests;
    std::vector<std::string> m_put_heads, m_heads;
    std::atomic<int> m_list_page{1000};
    std::thread m_thread;
};

// A media object for a channel: random bytes, as sync never decodes them.
struct Blob {
    std::string item; // the item id
    std::string bytes;
    std::string captions = ""; // WebVTT: the item's English captions, an object of their own
};
Blob random_blob(const std::string& item, std::size_t size, std::uint64_t seed);
std::string sha256_hex(const std::string& bytes);

// Writes the blobs into SITE/objects/ and a manifest of video items that use
// them into SITE/channels/<name>/, signed with `key`. Returns the manifest.
// `system`: a RAUC bundle file the manifest names as its system update, stored as
// an object (its version and compatible as given).
std::string publish(const std::filesystem::path& site, const MinisignSecretKey& key,
                    const std::string& name, std::int64_t sequence, const std::vector<Blob>& blobs,
                    const std::optional<SystemBundle>& system = std::nullopt);

// A loopback port nobody listens on right now (the kernel's pick, released at once).
int free_port();

// A device.toml for milepost-sync against `server`.
std::string sync_config(const std::string& server, const MinisignPublicKey& key,
                        const std::string& channel, const std::string& extra = "");

} // namespace milepost::test
