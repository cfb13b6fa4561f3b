#include "Captions.hpp"

#include "core/Captions.hpp"
#include "core/Log.hpp"
#include "media/Captions.hpp"
#include "render/CaptionBox.hpp"
#include "store/Files.hpp"

#include <algorithm>
#include <optional>

namespace milepost::pack {

namespace fs = std::filesystem;

namespace {

// How many lines `text` takes where captions are narrowest, on a portrait screen
// (1080x1920 and 720x1280 canvases), laid out as the player lays it out: 42
// characters of capitals are wider than 42 of lower case. nullopt when the fonts
// cannot be opened (then only the character count holds).
std::optional<std::size_t> portrait_lines(std::string_view text) {
    static std::optional<Fonts> fonts = []() -> std::optional<Fonts> {
        if (TTF_WasInit() == 0 && TTF_Init() != 0)
            return std::nullopt;
        auto opened = Fonts::open();
        if (!opened) {
            log::warn("caption widths are not checked: " + opened.error().message);
            return std::nullopt;
        }
        return std::move(*opened);
    }();
    if (!fonts)
        return std::nullopt;
    std::size_t most = 0;
    for (Size canvas : {Size{1080, 1920}, Size{720, 1280}}) {
        const Rect whole{0, 0, canvas.width, canvas.height};
        most = std::max(most, layout_caption(*fonts, text, canvas, whole).lines.size());
    }
    return most;
}

// Why a cue of `file` is too wide for a portrait screen, or "".
std::string portrait_problem(const std::vector<Cue>& cues, const std::string& file) {
    for (const Cue& c : cues) {
        const auto lines = portrait_lines(c.text);
        if (!lines || *lines <= kCaptionMaxLines)
            continue;
        std::size_t cut = std::min<std::size_t>({c.text.find('\n'), c.text.size(), 30});
        while (cut > 0 && cut < c.text.size() && (c.text[cut] & 0xc0) == 0x80)
            --cut; // not inside a character
        const std::string start = c.text.substr(0, cut);
        return file + (c.line > 0 ? ":" + std::to_string(c.line) : "") + ": the cue \"" + start +
               "...\" takes " + std::to_string(*lines) +
               " lines on a portrait screen (1080x1920), over " + std::to_string(kCaptionMaxLines) +
               ": shorten it or split it in two cues";
    }
    return {};
}

std::string language_list(const std::set<std::string>& languages) {
    std::string out;
    for (const std::string& lang : languages)
        out += (out.empty() ? "" : ", ") + lang;
    return out;
}

// Why `cues` in `lang`, read from `file` (a file name, or a video and its stream),
// cannot be published for `item`, or "": the channel's languages, the cues'
// times, lines and text (caption_problem), and the size of their WebVTT.
std::string cues_problem(const Item& item, const std::string& lang, const std::vector<Cue>& cues,
                         const std::string& file, const std::set<std::string>& languages,
                         const std::string& webvtt) {
    if (!languages.empty() && !languages.count(lang))
        return file + ": captions in \"" + lang +
               "\", a language the channel does not use (its items and hotlines use " +
               language_list(languages) + ")";
    if (std::string problem = caption_problem(cues, item.media.duration, file); !problem.empty())
        return problem;
    if (std::string problem = portrait_problem(cues, file); !problem.empty())
        return problem;
    if (webvtt.size() > kMaxCaptionBytes)
        return file + ": its WebVTT would be " + std::to_string(webvtt.size()) +
               " bytes, over the " + std::to_string(kMaxCaptionBytes) + " a caption file may have";
    return {};
}

// Checks `cues` as `caption` of `item` and, when they pass, names its object.
bool take_cues(const Item& item, CaptionFile& caption, const std::vector<Cue>& cues,
               const std::string& file, const std::set<std::string>& languages,
               std::vector<CaptionObject>& objects) {
    std::string webvtt = to_webvtt(cues);
    if (std::string problem = cues_problem(item, caption.lang, cues, file, languages, webvtt);
        !problem.empty()) {
        log::error("item \"" + item.id + "\": " + problem);
        return false;
    }
    caption.object = sha256_bytes(webvtt);
    caption.size = webvtt.size();
    objects.push_back({caption.object, std::move(webvtt)});
    return true;
}

// The item's caption files, each read (WebVTT, or SubRip stored as WebVTT) and checked.
int check_caption_files(Item& item, const std::set<std::string>& languages,
                        std::vector<CaptionObject>& objects) {
    int refused = 0;
    for (CaptionFile& caption : item.captions) {
        auto cues = read_caption_file(caption.file);
        if (!cues) {
            log::error("item \"" + item.id + "\": " + cues.error().message);
            ++refused;
        } else if (!take_cues(item, caption, *cues, caption.file.string(), languages, objects)) {
            ++refused;
        }
    }
    return refused;
}

// The tagged subtitle streams of the item's video, each checked like a file.
int check_embedded_captions(Item& item, const std::set<std::string>& languages,
                            std::vector<CaptionObject>& objects) {
    auto streams = read_embedded_captions(item.file);
    if (!streams) {
        log::error("item \"" + item.id + "\": " + streams.error().message);
        return 1;
    }
    int refused = 0;
    for (const EmbeddedCaptions& stream : *streams) {
        if (stream.cues.empty())
            continue; // a tagged stream with nothing in it
        if (!languages.empty() && !languages.count(stream.lang)) {
            // The publisher did not choose it (a sidecar file would be): left out.
            log::warn("item \"" + item.id + "\": " + item.file.string() + ": its \"" + stream.lang +
                      "\" subtitle stream is left out: the channel does not use " +
                      "that language (its items and hotlines use " + language_list(languages) +
                      ")");
            continue;
        }
        CaptionFile caption{stream.lang, item.file, "", 0};
        const std::string file = item.file.string() + " (its " + stream.lang + " captions)";
        if (!take_cues(item, caption, stream.cues, file, languages, objects)) {
            ++refused;
            continue;
        }
        log::info("item \"" + item.id + "\": captions in \"" + stream.lang +
                  "\" from the subtitle stream of " + item.file.string());
        item.captions.push_back(std::move(caption));
    }
    return refused;
}

} // namespace

std::set<std::string> channel_languages(const Channel& channel) {
    std::set<std::string> out;
    for (const Item& item : channel.items)
        if (!item.lang.empty())
            out.insert(item.lang);
    for (const Hotline& hotline : channel.hotlines)
        if (!hotline.lang.empty())
            out.insert(hotline.lang);
    return out;
}

int check_captions(Item& item, const std::set<std::string>& languages,
                   std::vector<CaptionObject>& objects) {
    if (item.type != ItemType::Video)
        return 0;
    if (!item.captions.empty())
        return check_caption_files(item, languages, objects);
    return check_embedded_captions(item, languages, objects);
}

Result<void> write_caption_objects(const std::vector<CaptionObject>& objects, const fs::path& dir,
                                   std::vector<fs::path>& created, std::uint64_t& new_bytes) {
    for (const CaptionObject& o : objects) {
        const fs::path path = dir / o.object;
        std::error_code ec;
        if (fs::exists(path, ec) && fs::file_size(path, ec) == o.webvtt.size())
            continue;
        if (auto r = write_file_atomically(path, o.webvtt); !r)
            return r;
        created.push_back(path);
        new_bytes += o.webvtt.size();
    }
    return {};
}

} // namespace milepost::pack
