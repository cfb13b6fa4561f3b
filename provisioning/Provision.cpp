#include "Provision.hpp"

#include "core/DeviceConfig.hpp"
#include "core/Files.hpp"
#include "store/Process.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

namespace milepost {

namespace fs = std::filesystem;

namespace {

// A tool of mtools, in a clean mtools setting: no user config, no geometry checks
// that small images fail.
ToolResult run_mtool(const std::vector<std::string>& argv) {
    return run_tool(argv, {"MTOOLSRC=/dev/null", "MTOOLS_SKIP_CHECK=1"}, "MTOOLS");
}

std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.pop_back();
    size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
        ++i;
    return s.substr(i);
}

toml::table& subtable(toml::table& t, const char* name) {
    if (!t[name].is_table())
        t.insert_or_assign(name, toml::table{});
    return *t[name].as_table();
}

std::string image_spec(const fs::path& image, std::uint64_t offset) {
    return image.string() + "@@" + std::to_string(offset);
}

bool valid_hostname(const std::string& h) {
    if (h.empty() || h.size() > 63 || h.front() == '-' || h.back() == '-')
        return false;
    return std::all_of(h.begin(), h.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

// /sys/dev/block/MAJ:MIN of a block device, and whether it is a partition.
std::string sys_block(dev_t d) {
    return "/sys/dev/block/" + std::to_string(major(d)) + ":" + std::to_string(minor(d));
}

// The whole disk a block device (or a partition of it) belongs to.
dev_t whole_disk(dev_t d) {
    std::error_code ec;
    const fs::path sys = fs::canonical(sys_block(d), ec);
    if (ec || !fs::exists(sys / "partition"))
        return d;
    std::ifstream in(sys.parent_path() / "dev");
    unsigned maj = 0, min = 0;
    char colon = 0;
    if (in >> maj >> colon >> min)
        return makedev(maj, min);
    return d;
}

} // namespace

Result<void> check_site_config(const std::string& text, const std::string& origin) {
    try {
        DeviceConfig config;
        std::vector<std::string> warnings;
        apply_device_config(config, text, origin, warnings);
        // A key the player does not know is a typo that every card would carry.
        if (!warnings.empty())
            return Error{warnings.front()};
        finish_device_config(config, origin, "");
    } catch (const ConfigError& e) {
        return Error{e.message};
    }
    return {};
}

Result<std::string> make_site_config(const std::string& base, const SiteFields& f,
                                     const std::string& origin) {
    toml::table t;
    try {
        t = toml::parse(base);
    } catch (const toml::parse_error& e) {
        return Error{origin + ": the template is not TOML: " + std::string(e.description())};
    }
    toml::table& device = subtable(t, "device");
    device.insert_or_assign("id", f.id);
    if (!f.site.empty())
        device.insert_or_assign("site", f.site);
    if (!f.region.empty())
        device.insert_or_assign("region", f.region);
    if (!f.timezone.empty())
        device.insert_or_assign("timezone", f.timezone);
    if (!f.languages.empty()) {
        toml::array langs;
        for (const auto& l : f.languages)
            langs.push_back(l);
        device.insert_or_assign("languages", langs);
    }
    if (!f.channel.empty() || !f.server.empty() || !f.public_key.empty()) {
        toml::table& content = subtable(t, "content");
        if (!f.channel.empty())
            content.insert_or_assign("channel", f.channel);
        if (!f.server.empty())
            content.insert_or_assign("server", f.server);
        if (!f.public_key.empty())
            content.insert_or_assign("public_key", f.public_key);
    }
    if (!f.upload_url.empty())
        subtable(t, "logs").insert_or_assign("upload_url", f.upload_url);
    std::string site = f.site; // a comment line: no line breaks in it
    std::replace_if(
        site.begin(), site.end(), [](unsigned char c) { return c < 0x20; }, ' ');
    std::ostringstream text;
    text << "# Milepost site config for \"" << site << "\" (" << f.id
         << "), made by milepost-provision.\n# The player reads it as "
            "/boot/firmware/milepost.toml; its keys win over /etc/milepost/device.toml.\n\n"
         << t << "\n";
    if (auto ok = check_site_config(text.str(), origin); !ok)
        return ok.error();
    return text.str();
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text,
                                                std::vector<int>* line_numbers) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false, any = false;
    int line = 1, row_line = 1;
    auto end_row = [&] {
        if (any || !field.empty() || !row.empty()) {
            row.push_back(field);
            rows.push_back(row);
            if (line_numbers)
                line_numbers->push_back(row_line);
        }
        row.clear();
        field.clear();
        any = false;
    };
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                if (c == '\n')
                    ++line;
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
            any = true;
        } else if (c == ',') {
            row.push_back(field);
            field.clear();
            any = true;
        } else if (c == '\n') {
            end_row();
            row_line = ++line;
        } else if (c != '\r') {
            field += c;
        }
    }
    end_row();
    return rows;
}

BatchReport run_batch(const fs::path& csv, const fs::path& base, const fs::path& out) {
    BatchReport report;
    auto text = read_file(csv);
    if (!text) {
        report.errors.push_back(text.error().message);
        return report;
    }
    std::string template_text;
    if (!base.empty()) {
        auto t = read_file(base);
        if (!t) {
            report.errors.push_back(t.error().message);
            return report;
        }
        template_text = *t;
        // The template alone must already be a valid config (bar the id).
        SiteFields probe;
        probe.id = "template-check";
        if (auto ok = make_site_config(template_text, probe, base.string()); !ok) {
            report.errors.push_back(ok.error().message);
            return report;
        }
    }
    std::vector<int> lines;
    const auto rows = parse_csv(*text, &lines);
    const std::vector<std::string> header{"id",       "site",    "region",
                                          "timezone", "channel", "languages"};
    std::map<std::string, int> seen;
    std::error_code ec;
    fs::create_directories(out, ec);
    for (size_t r = 0; r < rows.size(); ++r) {
        std::vector<std::string> row = rows[r];
        for (auto& cell : row)
            cell = trim(cell);
        const std::string where = csv.filename().string() + ":" + std::to_string(lines[r]);
        if (r == 0 && !row.empty() && row[0] == "id") {
            if (row != header)
                report.errors.push_back(where + ": expected the header id,site,region,timezone,"
                                                "channel,languages");
            continue;
        }
        if (row.size() != header.size()) {
            report.errors.push_back(where + ": expected 6 columns (id,site,region,timezone," +
                                    "channel,languages), got " + std::to_string(row.size()));
            continue;
        }
        SiteFields f;
        f.id = row[0];
        f.site = row[1];
        f.region = row[2];
        f.timezone = row[3];
        f.channel = row[4];
        std::string langs = row[5];
        std::replace_if(
            langs.begin(), langs.end(), [](char c) { return c == ';' || c == '|'; }, ' ');
        std::istringstream words(langs);
        for (std::string w; words >> w;)
            f.languages.push_back(w);
        if (f.id.empty()) {
            report.errors.push_back(where + ": id: empty");
            continue;
        }
        if (auto [it, added] = seen.emplace(f.id, lines[r]); !added) {
            report.errors.push_back(where + ": id \"" + f.id + "\": already used on line " +
                                    std::to_string(it->second));
            continue;
        }
        if (f.region.empty()) {
            report.errors.push_back(where + ": region: empty (it picks the hotline)");
            continue;
        }
        auto config = make_site_config(template_text, f, where);
        if (!config) {
            report.errors.push_back(config.error().message);
            continue;
        }
        // The id is [a-z0-9._-] (checked above by the parser): a safe file name.
        const fs::path file = out / (f.id + ".toml");
        const fs::path temp = out / ("." + f.id + ".toml.tmp");
        {
            std::ofstream o(temp, std::ios::binary | std::ios::trunc);
            o << *config;
            if (!o.flush()) {
                report.errors.push_back(where + ": cannot write " + temp.string());
                continue;
            }
        }
        fs::rename(temp, file, ec);
        if (ec) {
            report.errors.push_back(where + ": cannot write " + file.string() + ": " +
                                    ec.message());
            continue;
        }
        ++report.written;
    }
    return report;
}

Result<std::uint64_t> fat_partition_offset(const fs::path& image) {
    std::ifstream in(image, std::ios::binary);
    unsigned char mbr[512] = {};
    if (!in)
        return Error{image.string() + ": cannot open it: " + std::strerror(errno)};
    if (!in.read(reinterpret_cast<char*>(mbr), sizeof mbr))
        return Error{image.string() + ": no partition table (not a Milepost card or image)"};
    if (mbr[510] != 0x55 || mbr[511] != 0xAA)
        return Error{image.string() + ": no partition table (not a Milepost card or image)"};
    for (int i = 0; i < 4; ++i) {
        const unsigned char* e = mbr + 446 + 16 * i;
        const unsigned type = e[4];
        const std::uint64_t lba = e[8] | e[9] << 8 | e[10] << 16 | std::uint64_t(e[11]) << 24;
        if (type == 0xEE)
            return Error{image.string() + ": a GPT disk; Milepost cards have an MBR"};
        if (type == 0x01 || type == 0x04 || type == 0x06 || type == 0x0B || type == 0x0C ||
            type == 0x0E)
            return lba * 512;
    }
    return Error{image.string() + ": no FAT boot partition in its partition table"};
}

Result<void> write_boot_files(const fs::path& image,
                              const std::map<std::string, std::string>& files) {
    auto offset = fat_partition_offset(image);
    if (!offset)
        return offset.error();
    char dir_name[] = "/tmp/milepost-provision-XXXXXX";
    if (!::mkdtemp(dir_name))
        return Error{"cannot make a temporary folder"};
    const fs::path dir = dir_name;
    Result<void> result;
    for (const auto& [name, content] : files) {
        const fs::path local = dir / name;
        {
            std::ofstream o(local, std::ios::binary);
            o << content;
        }
        fs::permissions(local, fs::perms::owner_read | fs::perms::owner_write);
        ToolResult r = run_mtool(
            {"mcopy", "-o", "-i", image_spec(image, *offset), local.string(), "::" + name});
        if (r.status != 0) {
            result = Error{image.string() + ": cannot write " + name +
                           " on the boot partition: " + trim(r.err)};
            break;
        }
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    return result;
}

Result<std::optional<std::string>> read_boot_file(const fs::path& image, const std::string& name) {
    auto offset = fat_partition_offset(image);
    if (!offset)
        return offset.error();
    ToolResult listed = run_mtool({"mdir", "-b", "-i", image_spec(image, *offset), "::"});
    if (listed.status != 0)
        return Error{image.string() + ": cannot read the boot partition: " + trim(listed.err)};
    bool present = false;
    std::istringstream names(listed.out);
    for (std::string line; std::getline(names, line);) {
        line = trim(line);
        std::string lower = line, want = "::/" + name;
        std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
        std::transform(want.begin(), want.end(), want.begin(), ::tolower);
        present = present || lower == want;
    }
    if (!present)
        return std::optional<std::string>{};
    ToolResult r = run_mtool({"mtype", "-i", image_spec(image, *offset), "::" + name});
    if (r.status != 0)
        return Error{image.string() + ": cannot read " + name + ": " + trim(r.err)};
    return std::optional<std::string>{r.out};
}

Result<std::map<std::string, std::string>> boot_files(const std::string& config,
                                                      const CardExtras& x) {
    std::map<std::string, std::string> files;
    if (auto ok = check_site_config(config, "milepost.toml"); !ok)
        return ok.error();
    files["milepost.toml"] = config;
    if (!x.hostname.empty()) {
        if (!valid_hostname(x.hostname))
            return Error{"--hostname: expected 1 to 63 of a-z, 0-9 and -, got \"" + x.hostname +
                         "\""};
        files["milepost-hostname"] = x.hostname + "\n";
    }
    if (!x.wifi_ssid.empty() || !x.wifi_psk.empty()) {
        if (x.wifi_ssid.empty() || x.wifi_ssid.size() > 32 ||
            std::any_of(x.wifi_ssid.begin(), x.wifi_ssid.end(),
                        [](unsigned char c) { return c < 0x20 || c == 0x7f; }))
            return Error{"--wifi-ssid: expected 1 to 32 printable bytes"};
        const bool hex = x.wifi_psk.size() == 64 &&
                         std::all_of(x.wifi_psk.begin(), x.wifi_psk.end(),
                                     [](unsigned char c) { return std::isxdigit(c); });
        // 8 to 63 bytes (NetworkManager's rule; UTF-8 is taken), none a control
        // character: one line of the file below, kept byte for byte.
        const bool passphrase = x.wifi_psk.size() >= 8 && x.wifi_psk.size() <= 63 &&
                                std::all_of(x.wifi_psk.begin(), x.wifi_psk.end(),
                                            [](unsigned char c) { return c >= 0x20 && c != 0x7f; });
        if (!hex && !passphrase) // never the key itself in a message
            return Error{"--wifi-psk-file: expected a WPA passphrase of 8 to 63 bytes with no "
                         "control characters (or 64 hex digits) on one line"};
        // Plain lines, no escaping: first boot (images/files/milepost-firstboot-system)
        // hands them to nmcli, which writes NetworkManager's keyfile, then removes the
        // psk line from the card.
        files[kWifiFile] = "# Wi-Fi for this card (milepost-provision). First boot imports it "
                           "into\n# NetworkManager, then removes the passphrase from the card.\n"
                           "ssid=" +
                           x.wifi_ssid + "\npsk=" + x.wifi_psk + "\n";
    }
    if (!x.ssh_key.empty()) {
        const std::string key = trim(x.ssh_key);
        if (key.find('\n') != std::string::npos ||
            !(key.starts_with("ssh-") || key.starts_with("ecdsa-") || key.starts_with("sk-ssh-") ||
              key.starts_with("sk-ecdsa-")))
            return Error{"--ssh-key: expected one public key line such as \"ssh-ed25519 AAAA...\""};
        files["milepost-ssh.pub"] = key + "\n";
    }
    return files;
}

std::vector<std::string> flash_refusals(const fs::path& device, bool force) {
    std::vector<std::string> why;
    struct stat st {};
    if (::stat(device.c_str(), &st) != 0)
        return {device.string() + ": no such device"};
    if (!S_ISBLK(st.st_mode))
        return {device.string() + ": not a block device (give the card, such as /dev/sdb)"};
    const dev_t dev = st.st_rdev;
    if (whole_disk(dev) != dev)
        why.push_back(device.string() + ": a partition; give the whole card");
    // The disk this system runs from.
    struct stat root {};
    if (::stat("/", &root) == 0 && major(root.st_dev) != 0 && whole_disk(root.st_dev) == dev)
        why.push_back(device.string() + ": the disk this system runs from");
    std::ifstream mounts("/proc/self/mounts");
    for (std::string line; std::getline(mounts, line);) {
        std::istringstream words(line);
        std::string source, target;
        words >> source >> target;
        struct stat s {};
        if (source.starts_with("/dev/") && ::stat(source.c_str(), &s) == 0 && S_ISBLK(s.st_mode) &&
            whole_disk(s.st_rdev) == dev) {
            why.push_back(device.string() + ": mounted (" + source + " on " + target +
                          "); unmount it first");
            break;
        }
    }
    std::ifstream size_file(sys_block(dev) + "/size");
    std::uint64_t sectors = 0;
    if (size_file >> sectors && sectors * 512 > kMaxCardBytes && !force)
        why.push_back(device.string() + ": " + std::to_string(sectors * 512 / 1000000000) +
                      " GB, larger than any card this is meant for (256 GB); --force if it is one");
    return why;
}

} // namespace milepost
