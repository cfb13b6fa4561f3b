#include "Manifest.hpp"

#include "Captions.hpp"
#include "DeviceConfig.hpp"
#include "Files.hpp"
#include "Result.hpp"

#include <nlohmann/json.hpp>

#include "Minisign.hpp"

#include <algorithm>
#include <set>

namespace milepost {

using json = nlohmann::ordered_json;

bool is_object_name(std::string_view name) {
    if (name.size() != 64)
        return false;
    for (char c : name)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

namespace {

const char* kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

json schedule_json(const Schedule& s) {
    json j = json::object();
    if (!s.days.empty()) {
        j["days"] = json::array();
        for (auto d : s.days)
            j["days"].push_back(kDays[d.c_encoding()]);
    }
    if (s.from)
        j["from"] = format_time_of_day(*s.from);
    if (s.until)
        j["until"] = format_time_of_day(*s.until);
    if (s.start_date)
        j["start_date"] = format_date(*s.start_date);
    if (s.end_date)
        j["end_date"] = format_date(*s.end_date);
    if (!s.regions.empty())
        j["regions"] = s.regions;
    if (s.weight != 1)
        j["weight"] = s.weight;
    return j;
}

json manifest_hotline_json(const Hotline& h) {
    json hj{{"region", h.region}, {"name", h.name}, {"call", h.call}};
    for (auto [key, value] : {std::pair{"lang", &h.lang},
                              {"text", &h.text},
                              {"text_keyword", &h.text_keyword},
                              {"url", &h.url},
                              {"emergency", &h.emergency}})
        if (!value->empty())
            hj[key] = *value;
    return hj;
}

// A video or image item's media facts, added to its object `ij`.
void add_manifest_media_json(json& ij, const Item& item) {
    const MediaFacts& m = item.media;
    ij["object"] = m.object;
    ij["size"] = m.size;
    if (item.type == ItemType::Video) {
        ij["media_duration"] = m.duration;
        if (!item.duration)
            ij["duration"] = m.duration;
        ij["fps"] = m.fps;
        if (!m.audio.empty())
            ij["audio"] = m.audio;
        if (!item.captions.empty()) {
            json cj = json::object();
            for (const CaptionFile& c : item.captions)
                cj[c.lang] = json{{"object", c.object}, {"size", c.size}};
            ij["captions"] = cj;
        }
    }
    ij["codec"] = m.codec;
    ij["width"] = m.width;
    ij["height"] = m.height;
}

json manifest_item_json(const Item& item) {
    json ij{{"id", item.id}, {"type", std::string(to_string(item.type))}};
    if (!item.lang.empty())
        ij["lang"] = item.lang;
    if (!item.title.empty())
        ij["title"] = item.title;
    if (!item.bullets.empty())
        ij["bullets"] = item.bullets;
    if (item.duration)
        ij["duration"] = *item.duration;
    if (item.type != ItemType::Slide)
        add_manifest_media_json(ij, item);
    json sj = schedule_json(item.schedule);
    if (!sj.empty())
        ij["schedule"] = sj;
    return ij;
}

json manifest_alert_json(const Alert& a) {
    return json{{"id", a.id},
                {"title", a.title},
                {"body", a.body},
                {"every", std::chrono::duration<double>(a.every).count()},
                {"until", format_rfc3339_utc(a.until)}};
}

json manifest_system_json(const SystemBundle& b) {
    json j{{"version", b.version},
           {"compatible", b.compatible},
           {"object", b.object},
           {"size", b.size}};
    if (b.downgrade)
        j["downgrade"] = true;
    return j;
}

} // namespace

std::string manifest_json(const Channel& c) {
    json j;
    j["schema"] = kManifestSchema;
    j["channel"] = c.name;
    j["title"] = c.title;
    j["sequence"] = c.sequence;
    j["published"] = c.published;
    j["hotlines"] = json::array();
    for (const Hotline& h : c.hotlines)
        j["hotlines"].push_back(manifest_hotline_json(h));
    j["items"] = json::array();
    for (const Item& item : c.items)
        j["items"].push_back(manifest_item_json(item));
    j["alerts"] = json::array();
    for (const Alert& a : c.alerts)
        j["alerts"].push_back(manifest_alert_json(a));
    if (c.system)
        j["system"] = manifest_system_json(*c.system);
    return j.dump(2) + "\n";
}

namespace {

// Typed reads from a JSON object, errors naming the manifest and the place.
struct Reader {
    const json& j;
    std::string where;

    [[noreturn]] void fail(const std::string& key, const std::string& expected) const {
        throw ConfigError(where + key + ": expected " + expected);
    }
    std::string str(const std::string& key, bool required = false) const {
        auto it = j.find(key);
        if (it == j.end()) {
            if (required)
                fail(key, "a string (it is missing)");
            return {};
        }
        if (!it->is_string())
            fail(key, "a string");
        return it->get<std::string>();
    }
    std::optional<double> num(const std::string& key) const {
        auto it = j.find(key);
        if (it == j.end())
            return std::nullopt;
        if (!it->is_number())
            fail(key, "a number");
        return it->get<double>();
    }
    std::vector<std::string> strs(const std::string& key) const {
        std::vector<std::string> out;
        auto it = j.find(key);
        if (it == j.end())
            return out;
        if (!it->is_array())
            fail(key, "an array of strings");
        for (const auto& e : *it) {
            if (!e.is_string())
                fail(key, "an array of strings");
            out.push_back(e.get<std::string>());
        }
        return out;
    }
};

// The channel's own fields: schema, name, title, sequence and publication time.
void read_manifest_channel(const Reader& top, Channel& c) {
    auto schema = top.num("schema");
    if (!schema || *schema != kManifestSchema)
        top.fail("schema", "1");
    c.name = top.str("channel", true);
    if (!is_valid_id(c.name))
        top.fail("channel", "a name of [a-z0-9._-]");
    c.title = top.str("title");
    auto seq = top.num("sequence");
    // Checked against the bound before the cast: a double of 2^63 or more has no
    // int64 value (undefined behaviour on x86, saturation on arm64).
    if (!seq || !(*seq >= 1 && *seq <= static_cast<double>(kMaxSequence)) ||
        *seq != static_cast<double>(static_cast<std::int64_t>(*seq)))
        top.fail("sequence", "a whole number from 1 to " + std::to_string(kMaxSequence));
    c.sequence = static_cast<std::int64_t>(*seq);
    c.published = top.str("published");
}

void read_manifest_hotlines(const json& j, const Reader& top, const std::string& label,
                            Channel& c) {
    if (!j.contains("hotlines") || !j["hotlines"].is_array() || j["hotlines"].empty())
        top.fail("hotlines", "at least one hotline");
    for (const auto& hj : j["hotlines"]) {
        if (!hj.is_object())
            top.fail("hotlines", "objects");
        Reader r{hj, label + ": hotline: "};
        Hotline h{r.str("region", true), r.str("lang"),     r.str("name", true),
                  r.str("call", true),   r.str("text"),     r.str("text_keyword"),
                  r.str("url"),          r.str("emergency")};
        if (h.region != "*" && !is_valid_region(h.region))
            r.fail("region", "\"*\" or a code such as \"US-TX\"");
        c.hotlines.push_back(h);
    }
}

// A video's or image's object and facts, read into `item`.
void read_manifest_media(const Reader& r, const std::filesystem::path& objects, Item& item) {
    item.media.object = r.str("object", true);
    if (!is_object_name(item.media.object))
        r.fail("object", "64 hexadecimal digits");
    // Numbers are checked before they are converted: a double out of the
    // target type's range has no value there (undefined behaviour).
    auto size = r.num("size");
    if (!size || !(*size >= 1 && *size <= 0x1p53))
        r.fail("size", "a size in bytes");
    item.media.size = static_cast<std::uint64_t>(*size);
    item.media.codec = r.str("codec");
    item.media.duration = r.num("media_duration").value_or(0);
    // Bounded as a set duration is: the writer gives a video without one its
    // own length as "duration" (found by the manifest fuzzer: 5.6e25 s).
    if (!(item.media.duration >= 0 && item.media.duration <= kMaxItemSeconds))
        r.fail("media_duration", "a length in seconds, at most 86400");
    item.media.fps = r.num("fps").value_or(0);
    const double width = r.num("width").value_or(0);
    const double height = r.num("height").value_or(0);
    if (!(width >= 0 && width <= 65535))
        r.fail("width", "a width in pixels");
    if (!(height >= 0 && height <= 65535))
        r.fail("height", "a height in pixels");
    item.media.width = static_cast<int>(width);
    item.media.height = static_cast<int>(height);
    item.media.audio = r.str("audio");
    item.file = objects / item.media.object;
    // A video's duration in the manifest is its own length unless the
    // publisher set one; only a set one loops or cuts.
    if (item.type == ItemType::Video && item.duration &&
        std::abs(*item.duration - item.media.duration) < 1e-6)
        item.duration.reset();
}

// A video's "captions": {"en": {"object": ..., "size": ...}, ...}.
void read_manifest_captions(const Reader& r, const std::filesystem::path& objects, Item& item) {
    auto it = r.j.find("captions");
    if (it == r.j.end())
        return;
    if (item.type != ItemType::Video || !it->is_object())
        r.fail("captions", "an object of languages, on a video");
    if (it->size() > kMaxCaptionLanguages)
        r.fail("captions", "at most " + std::to_string(kMaxCaptionLanguages) + " languages");
    for (const auto& [lang, cj] : it->items()) {
        Reader cr{cj, r.where + "captions " + lang + ": "};
        if (!is_valid_language(lang) || !cj.is_object())
            r.fail("captions", "languages such as \"en\", each an object and its size");
        CaptionFile c{lang, {}, cr.str("object", true), 0};
        if (!is_object_name(c.object))
            cr.fail("object", "64 hexadecimal digits");
        auto size = cr.num("size");
        if (!size || !(*size >= 1 && *size <= static_cast<double>(kMaxCaptionBytes)))
            cr.fail("size", "a size in bytes, at most " + std::to_string(kMaxCaptionBytes));
        c.size = static_cast<std::uint64_t>(*size);
        c.file = objects / c.object;
        item.captions.push_back(std::move(c));
    }
    std::sort(item.captions.begin(), item.captions.end(),
              [](auto& a, auto& b) { return a.lang < b.lang; });
}

// An item's "schedule" object; `sr` reads it.
Schedule read_manifest_schedule(const Reader& sr) {
    Schedule s;
    for (const auto& d : sr.strs("days")) {
        bool found = false;
        for (unsigned i = 0; i < 7; ++i)
            if (d == kDays[i]) {
                s.days.push_back(std::chrono::weekday(i));
                found = true;
            }
        if (!found)
            sr.fail("days", "day names such as \"mon\"");
    }
    if (auto t = sr.str("from"); !t.empty() && !(s.from = parse_time_of_day(t)))
        sr.fail("from", "HH:MM");
    if (auto t = sr.str("until"); !t.empty() && !(s.until = parse_time_of_day(t)))
        sr.fail("until", "HH:MM");
    if (auto t = sr.str("start_date"); !t.empty() && !(s.start_date = parse_date(t)))
        sr.fail("start_date", "YYYY-MM-DD");
    if (auto t = sr.str("end_date"); !t.empty() && !(s.end_date = parse_date(t)))
        sr.fail("end_date", "YYYY-MM-DD");
    s.regions = sr.strs("regions");
    const double weight = sr.num("weight").value_or(1);
    if (!(weight >= 1 && weight < 101))
        sr.fail("weight", "1 to 100");
    s.weight = static_cast<int>(weight);
    return s;
}

// One entry of "items"; `ids` holds the ids seen so far, duplicates are refused.
Item read_manifest_item(const json& ij, const std::string& label,
                        const std::filesystem::path& objects,
                        std::set<std::string, std::less<>>& ids) {
    Reader r{ij, label + ": item: "};
    Item item;
    item.id = r.str("id", true);
    if (!is_valid_id(item.id))
        r.fail("id", "[a-z0-9._-]");
    if (!ids.insert(item.id).second)
        throw ConfigError(label + ": item \"" + item.id + "\": id: duplicate");
    r.where = label + ": item \"" + item.id + "\": ";
    auto type = parse_item_type(r.str("type", true));
    if (!type)
        r.fail("type", "slide, video or image");
    item.type = *type;
    item.lang = r.str("lang");
    if (!item.lang.empty() && !is_valid_language(item.lang))
        r.fail("lang", "a language code");
    item.title = r.str("title");
    item.bullets = r.strs("bullets");
    if (auto d = r.num("duration")) {
        if (!(*d > 0) || *d > kMaxItemSeconds)
            r.fail("duration", "a positive number of seconds");
        item.duration = *d;
    }
    if (item.type == ItemType::Slide) {
        if (item.title.empty())
            r.fail("title", "a slide title");
    } else {
        read_manifest_media(r, objects, item);
        read_manifest_captions(r, objects, item);
    }
    if (auto it = ij.find("schedule"); it != ij.end()) {
        if (!it->is_object())
            r.fail("schedule", "an object");
        item.schedule = read_manifest_schedule(Reader{*it, r.where + "schedule "});
    }
    return item;
}

Alert read_manifest_alert(const json& aj, const std::string& label) {
    Reader r{aj, label + ": alert: "};
    Alert a;
    a.id = r.str("id", true);
    a.title = r.str("title", true);
    a.body = r.str("body");
    // As the channel source has it: at least 30 s, at most a year.
    const double every = r.num("every").value_or(600);
    if (!(every >= 30 && every <= 365.0 * 86400))
        r.fail("every", "30 to 31536000 seconds");
    a.every = std::chrono::milliseconds(static_cast<std::int64_t>(every * 1000));
    auto until = parse_rfc3339(r.str("until", true));
    if (!until)
        r.fail("until", "an RFC 3339 time");
    a.until = *until;
    return a;
}

// "system": the RAUC bundle a channel carries. Its version and compatible are
// what `rauc info` reads from the bundle; sync checks them against the bundle's
// signed manifest before installing.
SystemBundle read_manifest_system(const json& sj, const std::string& label,
                                  const std::filesystem::path& objects) {
    Reader r{sj, label + ": system: "};
    if (!sj.is_object())
        throw ConfigError(label + ": system: expected an object");
    SystemBundle b;
    b.version = r.str("version", true);
    if (!is_system_version(b.version))
        r.fail("version", "a version such as \"0.2.0\" (letters, digits and .+~_-)");
    b.compatible = r.str("compatible", true);
    if (!is_system_version(b.compatible))
        r.fail("compatible", "a name such as \"milepost-rpi-arm64\"");
    b.object = r.str("object", true);
    if (!is_object_name(b.object))
        r.fail("object", "64 hexadecimal digits");
    auto size = r.num("size");
    if (!size || !(*size >= 1 && *size <= static_cast<double>(kMaxSystemBundleBytes)))
        r.fail("size", "a size in bytes, at most " + std::to_string(kMaxSystemBundleBytes));
    b.size = static_cast<std::uint64_t>(*size);
    if (auto it = sj.find("downgrade"); it != sj.end()) {
        if (!it->is_boolean())
            r.fail("downgrade", "true or false");
        b.downgrade = it->get<bool>();
    }
    b.file = objects / b.object;
    return b;
}

} // namespace

bool is_system_version(std::string_view v) {
    if (v.empty() || v.size() > 64)
        return false;
    for (char c : v)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '+' || c == '~' || c == '_' || c == '-'))
            return false;
    return true;
}

Channel parse_manifest(std::string_view text, const std::filesystem::path& objects,
                       const std::string& label) {
    if (text.size() > kMaxManifestBytes)
        throw ConfigError(label + ": larger than 4 MiB");
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        throw ConfigError(label + ": not a JSON object");
    const Reader top{j, label + ": "};
    Channel c;
    read_manifest_channel(top, c);
    c.root = objects;
    read_manifest_hotlines(j, top, label, c);
    std::set<std::string, std::less<>> ids;
    if (!j.contains("items") || !j["items"].is_array())
        top.fail("items", "an array");
    for (const auto& ij : j["items"]) {
        if (!ij.is_object())
            top.fail("items", "objects");
        c.items.push_back(read_manifest_item(ij, label, objects, ids));
    }
    if (auto it = j.find("alerts"); it != j.end() && it->is_array())
        for (const auto& aj : *it)
            c.alerts.push_back(read_manifest_alert(aj, label));
    if (auto it = j.find("system"); it != j.end())
        c.system = read_manifest_system(*it, label, objects);
    return c;
}

} // namespace milepost

namespace milepost {

Channel load_published_channel(const std::filesystem::path& folder,
                               const std::filesystem::path& objects, const std::string& public_key,
                               std::string& note) {
    const std::filesystem::path manifest_path = folder / "manifest.json";
    auto manifest = read_file(manifest_path, kMaxManifestBytes);
    if (!manifest)
        throw ConfigError(manifest.error().message);
    if (public_key.empty()) {
        note = manifest_path.string() +
               ": signature not checked: no [content] public_key in the config";
    } else {
        auto key = minisign_parse_public_key(public_key);
        if (!key)
            throw ConfigError("[content] public_key: " + key.error().message);
        auto signature = read_file(manifest_path.string() + ".minisig", kMaxSignatureBytes);
        if (!signature)
            throw ConfigError(manifest_path.string() +
                              ".minisig: missing: the channel is not signed");
        if (auto ok = minisign_verify(*key, *manifest, *signature); !ok)
            throw ConfigError(manifest_path.string() + ": " + ok.error().message);
    }
    return parse_manifest(*manifest, objects, manifest_path.string());
}

} // namespace milepost
