#include "SystemInstall.hpp"

#include "core/Files.hpp"
#include "core/Log.hpp"
#include "core/Schedule.hpp"
#include "core/SystemUpdate.hpp"
#include "core/Text.hpp"
#include "store/Files.hpp"
#include "store/Process.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>

namespace milepost {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRecordFile = "system-update.json";
constexpr const char* kRebootRequest = "system-reboot";

std::string text_of(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void write_record(const fs::path& data_dir, const UpdateRecord& r) {
    nlohmann::ordered_json j;
    j["version"] = r.version;
    j["from"] = r.from;
    j["state"] = to_string(r.state);
    j["at"] = r.at;
    j["detail"] = r.detail;
    if (!r.boot_id.empty())
        j["boot_id"] = r.boot_id;
    if (auto w = write_file_atomically(data_dir / kRecordFile, j.dump(2) + "\n"); !w)
        log::warn(w.error().message);
}

// The last line rauc wrote on failure: its reason.
std::string last_line(const std::string& text) {
    const std::string t = trimmed(text);
    const auto nl = t.rfind('\n');
    return nl == std::string::npos ? t : t.substr(nl + 1);
}

class SystemInstall {
public:
    SystemInstall(const fs::path& data_dir, const DeviceConfig& config,
                  const SystemIdentity& system, WallTime now, const std::function<void()>& tick)
        : m_data_dir(data_dir), m_config(config), m_system(system), m_now(now), m_tick(tick),
          m_boot_id(current_boot_id()), m_record(read_update_record(data_dir)) {}

    const UpdateRecord& record() const { return m_record; }
    const std::string& boot_id() const { return m_boot_id; }

    // A reboot asked for in an earlier boot that left the old system running:
    // the new one did not come up, or did not come up far enough to say so.
    void settle_last_reboot() {
        if (m_record.state != UpdateState::Rebooting || m_record.boot_id == m_boot_id ||
            m_system.version == m_record.version)
            return;
        m_record.state = UpdateState::RolledBack;
        m_record.detail = "system " + m_record.version +
                          " did not start (or hung before milepost-commit kept it): the "
                          "firmware booted " +
                          m_system.version + " again; not installed again";
        m_record.at = format_rfc3339_utc(m_now);
        m_record.boot_id.clear();
        write_record(m_data_dir, m_record);
    }

    // A checked bundle into the other slot, by RAUC's service (which runs at idle
    // CPU and I/O priority: the image's rauc.service drop-in).
    SystemReport install(const SystemReport& ready) {
        const std::string& version = ready.version;
        const std::string what = "system " + version;
        log::info(ready.summary);
        log::info(what + ": installing into the other slot (rauc install)");
        const ToolResult r = run_tool({"rauc", "install", ready.bundle.string()}, {}, {}, m_tick);
        std::error_code ec;
        UpdateRecord next{
            version, m_system.version, UpdateState::None, format_rfc3339_utc(m_now), "", ""};
        if (r.status != 0) {
            const std::string why =
                r.status < 0 ? "cannot run rauc (apt install rauc)" : last_line(r.err + r.out);
            next.state = UpdateState::InstallFailed;
            next.detail = what + ": rauc install failed: " + why;
            next.boot_id = m_boot_id;
            write_record(m_data_dir, next);
            m_record = next;
            return {UpdateState::Failed, version, next.detail, {}};
        }
        fs::remove(ready.bundle, ec); // the slot holds it now
        next.state = UpdateState::Installed;
        next.detail =
            what + " installed in the other slot; the screen reboots into it in " + window_text();
        write_record(m_data_dir, next);
        m_record = next;
        return {UpdateState::Installed, version, next.detail, {}};
    }

    // In the window: the reboot asked for (DATA_DIR/system-reboot, which the image's
    // milepost-system-reboot.path acts on as root).
    SystemReport reboot_if_in_window() {
        SystemReport report{UpdateState::Installed, m_record.version, m_record.detail, {}};
        auto zone = Zone::locate(m_config.device.timezone);
        const int minute = (zone ? *zone : Zone::utc()).local(m_now).minute;
        if (!in_update_window(update_window(m_config), minute))
            return report;
        m_record.state = UpdateState::Rebooting;
        m_record.at = format_rfc3339_utc(m_now);
        m_record.boot_id = m_boot_id;
        m_record.detail = "system " + m_record.version + ": rebooting into it (window " +
                          format_update_window(update_window(m_config)) + ")";
        write_record(m_data_dir, m_record);
        if (auto w = write_file_atomically(m_data_dir / kRebootRequest, m_record.version + "\n");
            !w) {
            log::error(w.error().message);
            return report;
        }
        return {UpdateState::Rebooting, m_record.version, m_record.detail, {}};
    }

private:
    std::string window_text() const {
        return "its window, " + format_update_window(update_window(m_config));
    }

    const fs::path& m_data_dir;
    const DeviceConfig& m_config;
    const SystemIdentity& m_system;
    WallTime m_now;
    const std::function<void()>& m_tick;
    std::string m_boot_id;
    UpdateRecord m_record;
};

} // namespace

UpdateRecord read_update_record(const fs::path& data_dir) {
    UpdateRecord r;
    auto text = read_file(data_dir / kRecordFile, 64 * 1024);
    if (!text)
        return r;
    const auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object())
        return r;
    r.version = text_of(j, "version");
    r.from = text_of(j, "from");
    r.state = parse_update_state(text_of(j, "state"));
    r.at = text_of(j, "at");
    r.detail = text_of(j, "detail");
    r.boot_id = text_of(j, "boot_id");
    return r;
}

std::string current_boot_id() {
    // The unit passes it (Environment=MILEPOST_BOOT_ID=%b): its sandbox hides
    // /proc/sys (ProcSubset=pid), where the kernel says it.
    if (const char* id = std::getenv("MILEPOST_BOOT_ID"); id && *id)
        return id;
    const char* e = std::getenv("MILEPOST_BOOT_ID_FILE");
    const fs::path file = e && *e ? fs::path(e) : fs::path("/proc/sys/kernel/random/boot_id");
    auto text = read_file(file, 256);
    return text ? trimmed(*text) : std::string();
}

SystemReport run_system_update(HttpClient& http, ContentStore& store, const DeviceConfig& config,
                               const SystemIdentity& system, WallTime now,
                               const std::function<void()>& tick) {
    SystemInstall install(store.data_dir(), config, system, now, tick);
    install.settle_last_reboot();
    SystemReport report =
        fetch_system_update(http, store, config, system, install.record(), install.boot_id(), tick);
    if (report.state == UpdateState::Ready)
        report = install.install(report);
    if (report.state == UpdateState::Installed)
        report = install.reboot_if_in_window();
    return report;
}

} // namespace milepost
