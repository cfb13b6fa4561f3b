#include "Captions.hpp"

#include "core/Files.hpp"
#include "core/Identifiers.hpp"
#include "core/Text.hpp"
#include "media/Ffmpeg.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <utility>

namespace milepost {

namespace fs = std::filesystem;

namespace {

// The most cues a stream inside a video may hold: a feature film has ~2,000.
constexpr std::size_t kMaxEmbeddedCues = 100'000;

// One decoded packet: its cue and where the demuxer says it found it in the file.
struct DecodedCue {
    Cue cue;
    std::int64_t pos = -1;
    std::string error; // why its text could not be decoded, or ""
};

// A "-->" line of a caption file: where it starts, its number and its text.
struct TimingLine {
    std::size_t offset = 0;
    int line = 0;
    std::string_view text;
};

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// The lines of `text` holding "-->", in order.
std::vector<TimingLine> timing_lines(std::string_view text) {
    std::vector<TimingLine> out;
    int line = 0;
    for (std::string_view row : split_lines(text)) {
        ++line;
        if (row.find("-->") != std::string_view::npos)
            out.push_back({static_cast<std::size_t>(row.data() - text.data()), line, trimmed(row)});
    }
    return out;
}

// An ASS event's text as plain lines: "\N" and "\n" break the line, "\h" is a
// space, "\{" and "\}" are those characters, {...} override blocks go. Any other
// backslash is the text's own: FFmpeg's text decoders do not double it (taking
// "\\" for one would halve a run of them each time the text is read).
// Spaces at the ends of a line and empty lines go too.
std::string plain_text(std::string_view ass) {
    std::string out;
    for (std::size_t i = 0; i < ass.size(); ++i) {
        const char c = ass[i];
        const char next = i + 1 < ass.size() ? ass[i + 1] : '\0';
        if (c == '\\' &&
            (next == 'N' || next == 'n' || next == 'h' || next == '{' || next == '}')) {
            out += next == 'N' || next == 'n' ? '\n' : next == 'h' ? ' ' : next;
            ++i;
        } else if (c == '{') {
            const std::size_t close = ass.find('}', i);
            if (close == std::string_view::npos)
                break;
            i = close;
        } else if (c != '\r') {
            out += c;
        }
    }
    std::string lines;
    for (std::string_view line : split_lines(out))
        if (line = trimmed(line); !line.empty())
            lines += (lines.empty() ? "" : "\n") + std::string(line);
    return lines;
}

// The Text of an ASS event, "ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text",
// as plain text.
std::string event_text(std::string_view event) {
    std::size_t pos = 0;
    for (int field = 0; field < 8; ++field) {
        pos = event.find(',', pos);
        if (pos == std::string_view::npos)
            return {};
        ++pos;
    }
    return plain_text(event.substr(pos));
}

// The stream's text subtitle decoder, opened.
Result<CodecPtr> open_caption_decoder(const AVStream* stream) {
    const AVCodec* codec = avcodec_find_decoder(stream->codecpar->codec_id);
    const std::string name = avcodec_get_name(stream->codecpar->codec_id);
    if (!codec)
        return Error{"no " + name + " decoder in this FFmpeg build"};
    CodecPtr ctx(avcodec_alloc_context3(codec));
    if (!ctx || avcodec_parameters_to_context(ctx.get(), stream->codecpar) < 0)
        return Error{"the " + name + " decoder does not open"};
    ctx->pkt_timebase = stream->time_base;
    if (avcodec_open2(ctx.get(), codec, nullptr) < 0)
        return Error{"the " + name + " decoder does not open"};
    return ctx;
}

// The text of one packet, its events' Text fields one line after another ("" for
// a packet with none, as an MP4's gaps between cues are).
Result<std::string> decode_text(AVCodecContext* ctx, AVPacket* packet) {
    AVSubtitle sub{};
    int got = 0;
    const int rc = avcodec_decode_subtitle2(ctx, &sub, &got, packet);
    if (rc < 0)
        return Error{"it cannot be decoded: " + av_error_text(rc)};
    std::string text;
    if (!got)
        return text;
    for (unsigned i = 0; i < sub.num_rects; ++i) {
        const AVSubtitleRect* rect = sub.rects[i];
        std::string part = rect->type == SUBTITLE_ASS && rect->ass     ? event_text(rect->ass)
                           : rect->type == SUBTITLE_TEXT && rect->text ? plain_text(rect->text)
                                                                       : std::string();
        if (!part.empty())
            text += (text.empty() ? "" : "\n") + part;
    }
    avsubtitle_free(&sub);
    return text;
}

// The cue of `packet`: its times in the stream's time base, counted from `origin`
// seconds (where the video starts), and `text`.
DecodedCue packet_cue(const AVPacket& packet, AVRational time_base, double origin,
                      std::string text) {
    DecodedCue d;
    d.pos = packet.pos;
    d.cue.text = std::move(text);
    if (packet.pts == AV_NOPTS_VALUE) {
        d.cue.start = d.cue.end = -1; // refused by caption_problem: it ends before it starts
        return d;
    }
    d.cue.start = std::max(0.0, static_cast<double>(packet.pts) * av_q2d(time_base) - origin);
    const std::int64_t duration = std::max<std::int64_t>(packet.duration, 0);
    // Added as doubles: a hostile stream's pts + duration may not fit in 64 bits.
    d.cue.end =
        (static_cast<double>(packet.pts) + static_cast<double>(duration)) * av_q2d(time_base) -
        origin;
    return d;
}

// The demuxer a caption file is read with, by its extension: nullptr for another.
// A published caption object (objects/<sha256>, no extension) is WebVTT.
const AVInputFormat* caption_demuxer(const fs::path& file) {
    std::string ext = file.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".vtt" || ext.empty())
        return av_find_input_format("webvtt");
    if (ext == ".srt")
        return av_find_input_format("srt");
    return nullptr;
}

// Every packet of a caption file decoded, in the file's order.
Result<std::vector<DecodedCue>> decode_caption_file(const fs::path& file,
                                                    const AVInputFormat* demuxer) {
    AVFormatContext* raw = nullptr;
    const int rc = open_media_input(&raw, file, MediaKind::Captions, demuxer);
    if (rc < 0)
        return Error{file.string() + ": cannot be read as captions: " + av_error_text(rc)};
    FormatPtr format(raw);
    if (format->nb_streams != 1)
        return Error{file.string() + ": cannot be read as captions"};
    const AVStream* stream = format->streams[0];
    auto ctx = open_caption_decoder(stream);
    if (!ctx)
        return Error{file.string() + ": " + ctx.error().message};
    std::vector<DecodedCue> cues;
    PacketPtr packet(av_packet_alloc());
    while (av_read_frame(format.get(), packet.get()) >= 0) {
        auto text = decode_text(ctx->get(), packet.get());
        cues.push_back(packet_cue(*packet, stream->time_base, 0, text ? std::move(*text) : ""));
        if (!text)
            cues.back().error = text.error().message;
        av_packet_unref(packet.get());
    }
    // The demuxers hand cues over in order of start; the file's order is kept,
    // so that caption_problem can name a cue that starts before the one above it.
    std::stable_sort(cues.begin(), cues.end(),
                     [](const DecodedCue& a, const DecodedCue& b) { return a.pos < b.pos; });
    return cues;
}

// The index in `lines` of the timing line of the cue the demuxer found at `pos`:
// FFmpeg 5.1's srt demuxer gives the position of the timing line, its webvtt
// demuxer the position after the cue's block. `fallback`: the next line in order,
// when the position is unknown.
std::optional<std::size_t> timing_index(const std::vector<TimingLine>& lines, std::int64_t pos,
                                        bool webvtt, std::size_t fallback) {
    if (pos < 0)
        return fallback < lines.size() ? std::optional(fallback) : std::nullopt;
    const auto at = static_cast<std::size_t>(pos);
    // The lines are in file order: the first at or after `at`, found by halving
    // (a file of 30,000 cues is not scanned 30,000 times).
    const auto first_after = static_cast<std::size_t>(
        std::partition_point(lines.begin(), lines.end(),
                             [&](const TimingLine& l) { return l.offset < at; }) -
        lines.begin());
    if (webvtt) // the last line before it
        return first_after > 0 ? std::optional(first_after - 1) : std::nullopt;
    return first_after < lines.size() ? std::optional(first_after) : std::nullopt;
}

// A cue the same as an earlier one in time and text shows nothing more: it goes,
// as FFmpeg's demuxers drop those whose bytes are the same (two cues whose markup
// differs but whose text does not would otherwise read as one from the WebVTT a
// build publishes, and as two from the source).
void drop_repeated_cues(std::vector<Cue>& cues) {
    std::set<std::tuple<double, double, std::string>> seen;
    std::erase_if(cues, [&](const Cue& c) { return !seen.emplace(c.start, c.end, c.text).second; });
}

// The line of the first STYLE or REGION block before byte `end`, or 0. FFmpeg
// 5.1's webvtt demuxer takes such a block for a cue and stops reading there.
int style_block_line(std::string_view text, std::size_t end) {
    bool after_blank = true;
    int line = 0;
    for (std::string_view row : split_lines(text.substr(0, std::min(end, text.size())))) {
        ++line;
        row = trimmed(row);
        if (after_blank && (row == "STYLE" || row == "REGION"))
            return line;
        after_blank = row.empty();
    }
    return 0;
}

// Why timing line `t` gave no cue.
std::string unread_timing(const fs::path& file, std::string_view text, const TimingLine& t,
                          bool webvtt) {
    if (int line = webvtt ? style_block_line(text, t.offset) : 0)
        return file.string() + ":" + std::to_string(line) +
               ": a STYLE or REGION block, which FFmpeg does not read past: remove it (screens "
               "draw every cue the same way)";
    return file.string() + ":" + std::to_string(t.line) + ": not a cue timing (" +
           (webvtt ? "HH:MM:SS.mmm --> HH:MM:SS.mmm" : "HH:MM:SS,mmm --> HH:MM:SS,mmm") + ")";
}

// Gives each cue the line of its timing; a timing line that gave no cue is refused
// (one that repeats the line before it is a duplicate FFmpeg dropped).
Result<std::vector<Cue>> number_cues(const fs::path& file, std::string_view text,
                                     std::vector<DecodedCue> decoded, bool webvtt) {
    const std::vector<TimingLine> lines = timing_lines(text);
    std::vector<bool> used(lines.size(), false);
    std::vector<Cue> cues;
    std::size_t next = 0;
    for (DecodedCue& d : decoded) {
        if (auto i = timing_index(lines, d.pos, webvtt, next)) {
            d.cue.line = lines[*i].line;
            used[*i] = true;
            next = *i + 1;
        }
        if (!d.error.empty())
            return Error{file.string() + (d.cue.line ? ":" + std::to_string(d.cue.line) : "") +
                         ": " + d.error};
        cues.push_back(std::move(d.cue));
    }
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (!used[i] && !(i > 0 && lines[i].text == lines[i - 1].text))
            return Error{unread_timing(file, text, lines[i], webvtt)};
    if (cues.empty())
        return Error{file.string() + ": no cues in it"};
    drop_repeated_cues(cues);
    return cues;
}

// ISO 639-2 codes (bibliographic and terminology) and the ISO 639-1 code of each.
// The languages of the people the screens speak to in North America and the
// largest others; a code not here is kept as it is ("hmn": Hmong has no 639-1 code).
constexpr std::array<std::pair<std::string_view, std::string_view>, 24> kLanguages{{
    {"ara", "ar"}, {"chi", "zh"}, {"deu", "de"}, {"dut", "nl"}, {"eng", "en"}, {"fra", "fr"},
    {"fre", "fr"}, {"ger", "de"}, {"hat", "ht"}, {"hin", "hi"}, {"ita", "it"}, {"jpn", "ja"},
    {"kor", "ko"}, {"nld", "nl"}, {"pol", "pl"}, {"por", "pt"}, {"rus", "ru"}, {"som", "so"},
    {"spa", "es"}, {"tgl", "tl"}, {"ukr", "uk"}, {"urd", "ur"}, {"vie", "vi"}, {"zho", "zh"},
}};

bool is_caption_codec(AVCodecID id) {
    return id == AV_CODEC_ID_MOV_TEXT || id == AV_CODEC_ID_SUBRIP || id == AV_CODEC_ID_WEBVTT ||
           id == AV_CODEC_ID_ASS;
}

// A caption stream of a video being read: its decoder and the cues so far.
struct CaptionStream {
    int index = 0;
    std::string tag; // the language as the file tags it: "spa"
    std::string lang;
    CodecPtr ctx;
    std::size_t bytes = 0;
    std::vector<Cue> cues;
};

// The text caption streams of `format` with a language tag, one per language
// (the first), their decoders open; every other stream is discarded unread.
Result<std::vector<CaptionStream>> caption_streams(AVFormatContext* format,
                                                   const std::string& name) {
    std::vector<CaptionStream> out;
    for (unsigned i = 0; i < format->nb_streams; ++i) {
        AVStream* stream = format->streams[i];
        stream->discard = AVDISCARD_ALL;
        const AVDictionaryEntry* tag = av_dict_get(stream->metadata, "language", nullptr, 0);
        if (stream->codecpar->codec_type != AVMEDIA_TYPE_SUBTITLE ||
            !is_caption_codec(stream->codecpar->codec_id) || !tag)
            continue;
        const std::string lang = short_language(tag->value);
        // "und": undetermined, "zxx": no language, "mul": several.
        if (lang == "und" || lang == "zxx" || lang == "mul" || !is_valid_language(lang) ||
            std::any_of(out.begin(), out.end(), [&](auto& s) { return s.lang == lang; }))
            continue;
        auto ctx = open_caption_decoder(stream);
        if (!ctx)
            return Error{name + ": its \"" + tag->value + "\" captions (stream " +
                         std::to_string(i) + "): " + ctx.error().message};
        stream->discard = AVDISCARD_DEFAULT;
        out.push_back({static_cast<int>(i), tag->value, lang, std::move(*ctx), 0, {}});
    }
    return out;
}

// Where the video's pictures start, in seconds: the player counts from there.
double video_origin(AVFormatContext* format) {
    const int index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    return index < 0 ? 0 : stream_start(format->streams[index]);
}

// Decodes one packet of `s` into its cues; a gap between cues (no text) is left out.
Result<void> add_packet(CaptionStream& s, const AVStream* stream, AVPacket* packet, double origin,
                        const std::string& name) {
    const std::string which =
        name + ": its \"" + s.tag + "\" captions (stream " + std::to_string(s.index) + ")";
    auto text = decode_text(s.ctx.get(), packet);
    if (!text)
        return Error{which + ": " + text.error().message};
    if (text->empty())
        return {};
    s.bytes += text->size();
    if (s.cues.size() >= kMaxEmbeddedCues || s.bytes > kMaxCaptionBytes)
        return Error{which + ": over " + std::to_string(kMaxEmbeddedCues) + " cues or " +
                     std::to_string(kMaxCaptionBytes) + " bytes of text"};
    s.cues.push_back(packet_cue(*packet, stream->time_base, origin, std::move(*text)).cue);
    return {};
}

} // namespace

Result<std::vector<Cue>> read_caption_file(const fs::path& file) {
    const AVInputFormat* demuxer = caption_demuxer(file);
    if (!demuxer)
        return Error{file.string() + ": expected a WebVTT (.vtt) or SubRip (.srt) file"};
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    if (!ec && size > kMaxCaptionBytes)
        return Error{file.string() + ": " + std::to_string(size) + " bytes, over the " +
                     std::to_string(kMaxCaptionBytes) + " a caption file may have"};
    auto text = read_file(file, kMaxCaptionBytes);
    if (!text)
        return text.error();
    int line = 0;
    if (!valid_utf8(*text, line))
        return Error{file.string() + ":" + std::to_string(line) + ": not UTF-8"};
    auto decoded = decode_caption_file(file, demuxer);
    if (!decoded)
        return decoded.error();
    return number_cues(file, *text, std::move(*decoded), std::string(demuxer->name) == "webvtt");
}

Result<std::vector<EmbeddedCaptions>> read_embedded_captions(const fs::path& video) {
    const std::string name = video.string();
    // Its streams read as the player reads them (VideoSource), for the video's start:
    // Matroska's header has none, and without it every cue came out by the video's
    // offset (23 ms late in an MKV from ffmpeg with AAC, moved up by the sound's
    // priming).
    auto opened = open_media(video, MediaKind::Video);
    if (!opened)
        return Error{name + ": " + opened.error().message};
    FormatPtr format = std::move(*opened);
    auto streams = caption_streams(format.get(), name);
    if (!streams)
        return streams.error();
    std::vector<EmbeddedCaptions> out;
    if (streams->empty())
        return out;
    const double origin = video_origin(format.get());
    PacketPtr packet(av_packet_alloc());
    while (av_read_frame(format.get(), packet.get()) >= 0) {
        for (CaptionStream& s : *streams)
            if (s.index == packet->stream_index)
                if (auto r = add_packet(s, format->streams[s.index], packet.get(), origin, name);
                    !r)
                    return r.error();
        av_packet_unref(packet.get());
    }
    for (CaptionStream& s : *streams) {
        std::stable_sort(s.cues.begin(), s.cues.end(),
                         [](const Cue& a, const Cue& b) { return a.start < b.start; });
        out.push_back({s.lang, std::move(s.cues)});
    }
    return out;
}

std::string short_language(std::string_view code) {
    // A BCP 47 tag ("en-US", as newer Matroska files carry) by its language.
    std::string lower(code.substr(0, code.find_first_of("-_")));
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (const auto& [long_code, short_code] : kLanguages)
        if (lower == long_code)
            return std::string(short_code);
    return lower;
}

} // namespace milepost
