#include "Captions.hpp"

#include "Text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace milepost {

std::optional<std::size_t> cue_at(const std::vector<Cue>& cues, double t) {
    // Asked each frame: found by halving to the last cue started, then back over
    // the ones that have ended (cues rarely overlap: a step or two).
    std::size_t i = static_cast<std::size_t>(
        std::upper_bound(cues.begin(), cues.end(), t,
                         [](double v, const Cue& c) { return v < c.start; }) -
        cues.begin());
    while (i-- > 0)
        if (t < cues[i].end)
            return i;
    return std::nullopt;
}

std::string caption_language(std::string_view turn, std::string_view item_lang,
                             const std::function<bool(std::string_view)>& has) {
    for (std::string_view lang : {turn, item_lang, std::string_view("en")})
        if (!lang.empty() && has(lang))
            return std::string(lang);
    return {};
}

std::string caption_language(const Item& item, std::string_view turn) {
    return caption_language(turn, item.lang,
                            [&](std::string_view lang) { return caption_in(item, lang); });
}

namespace {

std::string timestamp(double seconds) {
    const long long ms = std::llround(seconds * 1000);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, ms / 60000 % 60,
                  ms / 1000 % 60, ms % 1000);
    return buf;
}

std::string where(const std::string& file, const Cue& cue) {
    return file + (cue.line > 0 ? ":" + std::to_string(cue.line) : "") + ": cue at " +
           timestamp(cue.start);
}

// Cue text as WebVTT must carry it: "&", "<" and ">" as entities (so a "-->" in
// the text cannot end the cue, and a "<" is not taken for a tag).
std::string webvtt_escaped(std::string_view text) {
    std::string out;
    for (char ch : text) {
        switch (ch) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        default:
            out += ch;
        }
    }
    return out;
}

} // namespace

std::vector<std::string> wrap_characters(std::string_view text, std::size_t width) {
    std::vector<std::string> lines;
    for (std::string_view paragraph : split_lines(text))
        for (std::string& line :
             wrap_words(paragraph, [&](std::string_view l) { return code_points(l) <= width; }))
            lines.push_back(std::move(line));
    return lines;
}

std::string caption_problem(const std::vector<Cue>& cues, double duration,
                            const std::string& file) {
    if (cues.empty())
        return file + ": no cues in it";
    // A frame's worth of slack at the end: cue times are rounded to milliseconds.
    const double last = duration + 0.05;
    for (std::size_t i = 0; i < cues.size(); ++i) {
        const Cue& c = cues[i];
        if (!(c.start >= 0 && c.end > c.start))
            return where(file, c) + ": it ends before it starts";
        if (c.end > last)
            return where(file, c) + ": it ends at " + timestamp(c.end) + ", after the video (" +
                   timestamp(duration) + ")";
        if (i > 0 && c.start < cues[i - 1].start)
            return where(file, c) + ": it starts before the cue before it";
        const std::size_t lines = wrap_characters(c.text, kCaptionLineChars).size();
        if (lines > kCaptionMaxLines)
            return where(file, c) + ": over " + std::to_string(kCaptionMaxLines) + " lines of " +
                   std::to_string(kCaptionLineChars) + " characters: split it in two cues";
        if (lines == 0)
            return where(file, c) + ": it has no text";
    }
    return {};
}

std::string to_webvtt(const std::vector<Cue>& cues) {
    std::string out = "WEBVTT\n";
    for (const Cue& c : cues) {
        out += "\n" + timestamp(c.start) + " --> " + timestamp(c.end) + "\n";
        // A blank line would end the cue: the text's own blank lines go.
        for (std::string_view line : split_lines(c.text))
            if (!line.empty())
                out += webvtt_escaped(line) + "\n";
    }
    return out;
}

bool valid_utf8(std::string_view text, int& line) {
    const std::size_t bad = bad_utf8_at(text);
    const std::string_view before = text.substr(0, bad); // all of it when none
    line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
    return bad == std::string_view::npos;
}

} // namespace milepost
