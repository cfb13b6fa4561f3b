#include "SystemFetch.hpp"

#include "ChannelUpdate.hpp"
#include "core/Files.hpp"
#include "core/Log.hpp"
#include "core/SystemUpdate.hpp"
#include "core/Text.hpp"
#include "core/Url.hpp"
#include "store/Files.hpp"
#include "store/RaucBundle.hpp"

#include <cstdlib>
#include <optional>
#include <sstream>

namespace milepost {

namespace fs = std::filesystem;

namespace {

// `key` of `[section]` in an INI file such as RAUC's system.conf; "" when absent.
std::string ini_value(const std::string& text, const std::string& section, const std::string& key) {
    std::istringstream in(text);
    std::string line, current;
    while (std::getline(in, line)) {
        line = trimmed(line);
        if (line.starts_with('['))
            current = line;
        else if (current == "[" + section + "]" && line.starts_with(key)) {
            const std::string rest = trimmed(line.substr(key.size()));
            if (rest.starts_with('='))
                return trimmed(rest.substr(1));
        }
    }
    return {};
}

constexpr std::pair<UpdateState, const char*> kStateNames[] = {
    {UpdateState::None, ""},
    {UpdateState::Off, "off"},
    {UpdateState::Current, "current"},
    {UpdateState::Refused, "refused"},
    {UpdateState::Ready, "ready"},
    {UpdateState::Failed, "failed"},
    {UpdateState::Installed, "installed"},
    {UpdateState::InstallFailed, "install failed"},
    {UpdateState::Rebooting, "rebooting"},
    {UpdateState::Trying, "trying"},
    {UpdateState::Committed, "committed"},
    {UpdateState::RolledBack, "rolled back"},
};

} // namespace

std::string to_string(UpdateState state) {
    for (const auto& [s, name] : kStateNames)
        if (s == state)
            return name;
    return {};
}

UpdateState parse_update_state(const std::string& text) {
    for (const auto& [s, name] : kStateNames)
        if (text == name)
            return s;
    return UpdateState::None;
}

fs::path rauc_conf_path() {
    const char* e = std::getenv("MILEPOST_RAUC_CONF");
    return e && *e ? fs::path(e) : fs::path("/etc/rauc/system.conf");
}

fs::path system_version_path() {
    const char* e = std::getenv("MILEPOST_SYSTEM_VERSION_FILE");
    return e && *e ? fs::path(e) : fs::path("/etc/milepost/system-version");
}

fs::path board_model_path() {
    const char* e = std::getenv("MILEPOST_BOARD_MODEL_FILE");
    return e && *e ? fs::path(e) : fs::path("/proc/device-tree/model");
}

SystemIdentity read_system_identity(const fs::path& rauc_conf, const fs::path& version_file,
                                    const fs::path& board_model) {
    SystemIdentity id;
    auto conf = read_file(rauc_conf, 64 * 1024);
    if (!conf) {
        id.problem = rauc_conf.string() + ": missing: this system is not updated over the air";
        return id;
    }
    auto version = read_file(version_file, 1024);
    const std::string compatible = ini_value(*conf, "system", "compatible");
    std::string keyring = ini_value(*conf, "keyring", "path");
    if (!keyring.empty() && fs::path(keyring).is_relative())
        keyring = (rauc_conf.parent_path() / keyring).string();
    if (compatible.empty() || keyring.empty())
        id.problem = rauc_conf.string() + ": expected [system] compatible and [keyring] path";
    else if (!version || trimmed(*version).empty())
        id.problem = version_file.string() + ": missing: the running system's version is unknown";
    // The device tree's model ends in a NUL. A Pi 3 (or 2, or Zero 2) boots its
    // first partition whatever autoboot.txt says: it could never try the new slot.
    if (auto model = read_file(board_model, 256); model && id.problem.empty()) {
        const std::string name = trimmed(model->substr(0, model->find('\0')));
        for (const char* old_board : {"Raspberry Pi 3", "Raspberry Pi 2", "Raspberry Pi Zero 2"})
            if (name.starts_with(old_board))
                id.problem = "this board (" + name +
                             ") has no A/B boot (tryboot): system updates need a Raspberry Pi 4 "
                             "or 5; reflash its card to update it";
    }
    if (!id.problem.empty())
        return id;
    id.compatible = compatible;
    id.version = trimmed(*version);
    id.keyring = keyring;
    return id;
}

namespace {

class SystemFetch {
public:
    SystemFetch(HttpClient& http, ContentStore& store, const DeviceConfig& config,
                const SystemIdentity& system, const UpdateRecord& record,
                const std::string& boot_id, const std::function<void()>& tick)
        : m_http(http), m_store(store), m_config(config), m_system(system), m_record(record),
          m_boot_id(boot_id), m_tick(tick) {}

    SystemReport run() {
        auto active = m_store.active(m_config.content.public_key);
        if (!active || !*active || !(*active)->channel.system)
            return {};
        m_bundle = *(*active)->channel.system;
        m_report.version = m_bundle.version;
        if (m_config.update.channel == UpdateChannel::Off)
            return done(UpdateState::Off,
                        "system " + m_bundle.version + " not fetched: [update] channel is \"off\"");
        if (m_system.compatible.empty())
            return done(UpdateState::Refused,
                        "system " + m_bundle.version + " not fetched: " + m_system.problem);
        const SystemUpdateChoice choice =
            choose_system_update(m_bundle, m_config.update, m_system.version, m_system.compatible);
        if (choice.action == SystemUpdateChoice::Action::Refuse)
            return done(UpdateState::Refused, choice.reason);
        if (m_record.version == m_bundle.version)
            if (auto settled = recorded(choice.action == SystemUpdateChoice::Action::None))
                return *settled;
        if (choice.action == SystemUpdateChoice::Action::None)
            return done(UpdateState::Current, choice.reason);
        return fetch_and_check();
    }

private:
    // What the record says of the bundle named, when that settles this pass.
    // `running`: the bundle's version is the running system's.
    std::optional<SystemReport> recorded(bool running) {
        using enum UpdateState;
        const UpdateState state = m_record.state;
        if (running && state == Rebooting)
            return done(UpdateState::Trying,
                        "system " + m_bundle.version +
                            " is being tried: milepost-commit keeps it once the "
                            "player has shown frames for 60 s and sync has polled");
        if (running && state == Committed)
            return done(UpdateState::Committed, m_record.detail);
        if (!running && (state == Installed || state == Rebooting || state == RolledBack))
            return done(state, m_record.detail);
        if (!running && state == InstallFailed && m_record.boot_id == m_boot_id)
            return done(UpdateState::Failed,
                        m_record.detail + " (tried again after the next boot)");
        return std::nullopt;
    }

    SystemReport done(UpdateState state, const std::string& summary) {
        m_report.state = state;
        m_report.summary = summary;
        return m_report;
    }

    SystemReport fetch_and_check() {
        const fs::path dir = m_store.data_dir() / "system";
        const fs::path ready = dir / (m_bundle.object + ".raucb");
        const fs::path partial = dir / (m_bundle.object + ".partial");
        const std::string what = "system " + m_bundle.version;
        std::error_code ec;
        fs::create_directories(dir, ec);
        remove_others(dir, ready, partial);
        if (!(fs::file_size(ready, ec) == m_bundle.size && !ec)) {
            // Never into the room the play log needs: proof of play comes first.
            auto have = fs::file_size(partial, ec);
            const std::uint64_t missing = m_bundle.size - (!ec && have <= m_bundle.size ? have : 0);
            if (m_store.free_space() < missing + m_store.reserve())
                return done(UpdateState::Failed,
                            what + ": the bundle needs " + std::to_string(missing / 1000000) +
                                " MB more, and " + std::to_string(m_store.free_space() / 1000000) +
                                " MB are free with " + std::to_string(m_store.reserve() / 1000000) +
                                " MB kept for the play log: not fetched");
            if (auto r = download(partial); !r)
                return done(UpdateState::Failed, what + ": " + r.error().message);
            auto hash = sha256_file(partial);
            if (!hash || *hash != m_bundle.object) {
                fs::remove(partial, ec);
                return done(UpdateState::Failed,
                            what + ": the bundle's SHA-256 does not match the "
                                   "manifest: thrown away, fetched again next time");
            }
            fs::rename(partial, ready, ec);
            if (ec)
                return done(UpdateState::Failed,
                            what + ": " + ready.string() + ": " + ec.message());
        }
        return check_signature(ready);
    }

    // Resumed from what the partial file holds, as media objects are.
    Result<void> download(const fs::path& partial) {
        const std::string url = join_url(m_config.content.server, "objects/" + m_bundle.object);
        log::info("system " + m_bundle.version + ": fetching the bundle, " +
                  std::to_string(m_bundle.size / 1000000) + " MB");
        auto r = download_resumed(m_http, url, partial, m_bundle.size, [&](std::uint64_t) {
            if (m_tick)
                m_tick();
        });
        if (!r)
            return r.error();
        return {};
    }

    // RAUC's own check: the bundle signed by a key the screen's keyring trusts, and
    // saying what the signed channel manifest said of it.
    SystemReport check_signature(const fs::path& bundle) {
        const std::string what = "system " + m_bundle.version;
        auto info = rauc_bundle_info(bundle, m_system.keyring);
        std::error_code ec;
        if (!info) {
            fs::remove(bundle, ec);
            return done(UpdateState::Refused, what + ": its RAUC signature does not hold for " +
                                                  m_system.keyring.string() + ": " +
                                                  info.error().message);
        }
        const std::string& version = info->version;
        const std::string& compatible = info->compatible;
        if (version != m_bundle.version || compatible != m_bundle.compatible) {
            fs::remove(bundle, ec);
            return done(UpdateState::Refused, what + ": the bundle says version \"" + version +
                                                  "\" for \"" + compatible +
                                                  "\", not what the manifest says");
        }
        m_report.bundle = bundle;
        return done(UpdateState::Ready, what + " (" + compatible +
                                            ") fetched and its signature holds; " + "it replaces " +
                                            m_system.version);
    }

    // Older bundles and their partial files go: one system update at a time.
    static void remove_others(const fs::path& dir, const fs::path& keep1, const fs::path& keep2) {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dir, ec))
            if (e.path() != keep1 && e.path() != keep2)
                fs::remove(e.path(), ec);
    }

    HttpClient& m_http;
    ContentStore& m_store;
    const DeviceConfig& m_config;
    const SystemIdentity& m_system;
    const UpdateRecord& m_record;
    const std::string& m_boot_id;
    const std::function<void()>& m_tick;
    SystemBundle m_bundle;
    SystemReport m_report;
};

} // namespace

SystemReport fetch_system_update(HttpClient& http, ContentStore& store, const DeviceConfig& config,
                                 const SystemIdentity& system, const UpdateRecord& record,
                                 const std::string& boot_id, const std::function<void()>& tick) {
    return SystemFetch(http, store, config, system, record, boot_id, tick).run();
}

} // namespace milepost
