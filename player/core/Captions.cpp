#include "Captions.hpp"

#include <cmath>
#include <cstdio>

namespace milepost {

std::optional<std::size_t> cue_at(const std::vector<Cue>& cues, double t) {
    std::optional<std::size_t> found;
    for (std::size_t i = 0; i < cues.size() && cues[i].start <= t; ++i)
        if (t < cues[i].end)
            found = i;
    return found;
}

std::string caption_language(const Item& item, std::string_view screen_lang) {
    for (std::string_view lang : {screen_lang, std::string_view(item.lang), std::string_view("en")})
        if (!lang.empty() && caption_in(item, lang))
            return std::string(lang);
    return {};
}

namespace {

std::size_t code_points(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        n += (c & 0xc0) != 0x80;
    return n;
}

// `word` cut into pieces of at most `width` code points.
void cut_word(std::string_view word, std::size_t width, std::vector<std::string>& out) {
    std::string piece;
    std::size_t n = 0;
    for (std::size_t i = 0; i < word.size(); ++i) {
        const auto c = static_cast<unsigned char>(word[i]);
        if ((c & 0xc0) != 0x80 && n == width) {
            out.push_back(std::move(piece));
            piece.clear();
            n = 0;
        }
        n += (c & 0xc0) != 0x80;
        piece += word[i];
    }
    if (!piece.empty())
        out.push_back(std::move(piece));
}

void wrap_paragraph(std::string_view text, std::size_t width, std::vector<std::string>& lines) {
    std::string line;
    std::size_t pos = 0;
    while (pos < text.size()) {
        while (pos < text.size() && text[pos] == ' ')
            ++pos;
        std::size_t end = text.find(' ', pos);
        if (end == std::string_view::npos)
            end = text.size();
        std::string_view word = text.substr(pos, end - pos);
        pos = end;
        if (word.empty())
            continue;
        const std::size_t have = code_points(line);
        if (!line.empty() && have + 1 + code_points(word) <= width) {
            line += ' ';
            line += word;
            continue;
        }
        if (!line.empty())
            lines.push_back(std::move(line));
        line.clear();
        if (code_points(word) <= width) {
            line = std::string(word);
        } else {
            std::vector<std::string> pieces;
            cut_word(word, width, pieces);
            line = pieces.back();
            pieces.pop_back();
            lines.insert(lines.end(), pieces.begin(), pieces.end());
        }
    }
    if (!line.empty())
        lines.push_back(std::move(line));
}

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
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        wrap_paragraph(text.substr(pos, end - pos), width, lines);
        pos = end + 1;
    }
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
        if (wrap_characters(c.text, kCaptionLineChars).size() > kCaptionMaxLines)
            return where(file, c) + ": over " + std::to_string(kCaptionMaxLines) + " lines of " +
                   std::to_string(kCaptionLineChars) + " characters: split it in two cues";
        if (wrap_characters(c.text, kCaptionLineChars).empty())
            return where(file, c) + ": it has no text";
    }
    return {};
}

std::string to_webvtt(const std::vector<Cue>& cues) {
    std::string out = "WEBVTT\n";
    for (const Cue& c : cues) {
        out += "\n" + timestamp(c.start) + " --> " + timestamp(c.end) + "\n";
        // A blank line would end the cue: the text's own blank lines go.
        std::size_t pos = 0;
        while (pos <= c.text.size()) {
            std::size_t end = c.text.find('\n', pos);
            if (end == std::string::npos)
                end = c.text.size();
            if (end > pos)
                out += webvtt_escaped(std::string_view(c.text).substr(pos, end - pos)) + "\n";
            pos = end + 1;
        }
    }
    return out;
}

bool valid_utf8(std::string_view text, int& line) {
    line = 1;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t n = c < 0x80           ? 1
                        : (c >> 5) == 0x6  ? 2
                        : (c >> 4) == 0xe  ? 3
                        : (c >> 3) == 0x1e ? 4
                                           : 0;
        if (n == 0 || i + n > text.size() || (n == 2 && c < 0xc2))
            return false;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80)
                return false;
        if (c == '\n')
            ++line;
        i += n;
    }
    return true;
}

} // namespace milepost
