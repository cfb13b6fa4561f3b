#include "VideoSource.hpp"

#include "core/MediaLimits.hpp"
#include "core/ThreadPriority.hpp"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
}

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <sys/stat.h>
#include <utility>

namespace milepost {

namespace {

int64_t frame_duration(const AVFrame* f) {
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
    return f->duration;
#else
    return f->pkt_duration;
#endif
}

// Degrees clockwise that turn the stored picture upright (phones store portrait
// video sideways with a display matrix).
int display_rotation(const AVStream* st) {
    const uint8_t* matrix = nullptr;
#if LIBAVFORMAT_VERSION_MAJOR >= 61
    if (const AVPacketSideData* sd =
            av_packet_side_data_get(st->codecpar->coded_side_data, st->codecpar->nb_coded_side_data,
                                    AV_PKT_DATA_DISPLAYMATRIX))
        matrix = sd->data;
#else
    matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, nullptr);
#endif
    if (!matrix)
        return 0;
    double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
    if (std::isnan(ccw))
        return 0;
    int cw = static_cast<int>(std::lround(-ccw / 90.0)) * 90;
    return ((cw % 360) + 360) % 360;
}

bool path_exists(const char* p) {
    struct stat st;
    return stat(p, &st) == 0;
}

} // namespace

class VideoPipeline {
public:
    using Clock = VideoSource::Clock;
    using State = VideoSource::State;

    VideoPipeline(std::filesystem::path path, std::string hwdec, bool loop, bool audio,
                  double start_at, std::optional<Clock::time_point> due);
    void run(); // the demux thread's body
    void abort();
    // Waits up to `limit` for run() to return.
    bool wait_done(std::chrono::milliseconds limit);

    State state() const { return m_state.load(); }
    std::string error() const;
    VideoInfo info() const;
    BoundedQueue<VideoFrame>& frames() { return m_frames; }
    void decode_ahead() {
        m_packets.set_capacity(kPacketsAhead);
        m_frames.set_capacity(kQueuedFrames);
    }
    BoundedQueue<AudioChunk>* audio() { return m_has_audio ? &m_audio : nullptr; }
    Clock::time_point last_progress() const {
        return Clock::time_point(Clock::duration(m_progress.load()));
    }
    long joined_late() const { return m_joined_late.load(); }
    std::string take_notes();
    // Decoded frames ahead of the one on screen (which the presenter holds): three
    // in all, as ffplay's picture queue, enough to ride out a slow frame. Each is a
    // whole picture (3 MB at 1080p) from the decoder's pool.
    static constexpr size_t kQueuedFrames = 2;
    // Packets read ahead of the decoder: about 2 s at 30 fps (1.6 MB at 6 Mbit/s).
    static constexpr size_t kPacketsAhead = 64;
    // Read ahead by a video until its first frame is on screen (decode_ahead):
    // enough for that frame (three packets with B-frames) with room to spare. The
    // rest is read as its second frame is decoded, after the boundary.
    static constexpr size_t kPacketsWaiting = 8;

private:
    struct PacketItem {
        enum class Kind { Data, EndOfPass, EndOfStream } kind = Kind::Data;
        PacketPtr packet;
    };

    void demux();       // the demux thread, after opening
    void decode_main(); // the decode thread
    void audio_main();  // the audio decode thread
    bool open_audio();  // on the demux thread
    bool open();        // on the demux thread
    const AVCodec* open_container();
    std::string open_hardware_decoder(const AVCodec* codec, AVStream* stream);
    bool open_hwaccel(const AVCodec* codec, AVStream* stream, const char* type_name,
                      std::string& fallbacks);
    bool open_decoder(const AVCodec* codec, AVStream* stream);
    bool emit(AVFrame* frame); // on the decode thread
    // At a pass's end, when every frame of a join was late: its last one, shown after all.
    bool emit_last_late_frame();
    void fail(std::string message);
    void note(std::string text);
    void touch() { m_progress.store(Clock::now().time_since_epoch().count()); }
    static int interrupt(void* self);
    static AVPixelFormat pick_format(AVCodecContext* ctx, const AVPixelFormat* formats);

    const std::filesystem::path m_path;
    const std::string m_hwdec;
    const bool m_loop;
    const bool m_want_audio;
    double m_start_at; // seconds into the file the first pass starts; set before decoding
    // When m_start_at is due on screen; only while m_start_at > 0 (a failed seek sets it 0).
    const std::optional<Clock::time_point> m_due;
    std::atomic<long> m_joined_late{0};

    std::atomic<bool> m_abort{false};
    std::atomic<State> m_state{State::Opening};
    std::atomic<Clock::rep> m_progress; // last time a frame was made (or the file opened)

    mutable std::mutex m_mutex;
    std::string m_error; // guarded by m_mutex
    VideoInfo m_info;    // guarded by m_mutex
    std::string m_notes; // guarded by m_mutex
    bool m_done = false; // guarded by m_mutex: run() has returned
    std::condition_variable m_done_changed;

    // The demux thread's until the decode thread starts; then the format context
    // stays the demux thread's and the codec context is the decode thread's.
    FormatPtr m_format;
    CodecPtr m_codec;
    BufferPtr m_hw_device;
    AVPixelFormat m_hw_format = AV_PIX_FMT_NONE;
    int m_stream = -1;
    AVRational m_time_base{1, 1};
    double m_frame_period = 1.0 / 30;

    // Decode thread only.
    double m_pass_offset = 0; // pts of the first frame of this pass
    double m_first_raw = -1;  // raw seconds of the first frame of this pass; -1: none yet
    double m_next_raw = 0;    // expected raw seconds of the next frame
    double m_end_of_pass = 0; // pts + duration of the last frame made
    bool m_pass_had_frames = false;
    bool m_first_pass = true;
    // The last frame of a join left out as late (VideoStart::due): shown after all
    // when the pass ends before a later one came, so that a join never has no picture.
    std::optional<VideoFrame> m_late_frame;

    // The sound: set up by open(), then the audio thread's.
    std::atomic<bool> m_has_audio{false};
    int m_audio_stream = -1;
    CodecPtr m_audio_codec;
    AVRational m_audio_time_base{1, 1};
    double m_origin = 0; // raw seconds that both video and audio count from

    BoundedQueue<PacketItem> m_packets{kPacketsWaiting, BoundedQueue<PacketItem>::Refill::Batched};
    BoundedQueue<PacketItem> m_audio_packets{128};
    BoundedQueue<VideoFrame> m_frames{1};
    BoundedQueue<AudioChunk> m_audio{16};
    std::thread m_decode; // started and joined by the demux thread
    std::thread m_audio_decode;
};

std::unique_ptr<VideoSource> VideoSource::start(std::filesystem::path path, VideoStart how) {
    auto pipeline = std::make_shared<VideoPipeline>(std::move(path), std::move(how.hwdec), how.loop,
                                                    how.audio, how.start_at, how.due);
    std::unique_ptr<VideoSource> source(new VideoSource(pipeline));
    // The thread holds the pipeline too: it outlives this handle if it must.
    source->m_thread = std::thread([pipeline] { pipeline->run(); });
    return source;
}

VideoSource::VideoSource(std::shared_ptr<VideoPipeline> pipeline)
    : m_pipeline(std::move(pipeline)) {}

VideoSource::~VideoSource() {
    m_pipeline->abort();
    if (m_pipeline->wait_done(std::chrono::seconds(2)))
        m_thread.join();
    else
        m_thread.detach();
}

std::optional<VideoFrame> VideoSource::take_first_frame() {
    // No room before the pop: the decoder cannot slip a picture in between.
    m_pipeline->frames().set_capacity(0);
    return m_pipeline->frames().try_pop();
}
std::function<void()> VideoSource::decode_ahead_task() {
    return [pipeline = m_pipeline] { pipeline->decode_ahead(); };
}
void VideoSource::stop(std::chrono::milliseconds limit) {
    m_pipeline->abort();
    m_pipeline->wait_done(limit);
}
VideoSource::State VideoSource::state() const {
    return m_pipeline->state();
}
std::string VideoSource::error() const {
    return m_pipeline->error();
}
VideoInfo VideoSource::info() const {
    return m_pipeline->info();
}
BoundedQueue<VideoFrame>& VideoSource::frames() {
    return m_pipeline->frames();
}
BoundedQueue<AudioChunk>* VideoSource::audio() {
    return m_pipeline->audio();
}
VideoSource::Clock::time_point VideoSource::last_progress() const {
    return m_pipeline->last_progress();
}
long VideoSource::joined_late() const {
    return m_pipeline->joined_late();
}
std::string VideoSource::take_notes() {
    return m_pipeline->take_notes();
}

VideoPipeline::VideoPipeline(std::filesystem::path path, std::string hwdec, bool loop, bool audio,
                             double start_at, std::optional<Clock::time_point> due)
    : m_path(std::move(path)), m_hwdec(std::move(hwdec)), m_loop(loop), m_want_audio(audio),
      m_start_at(std::max(0.0, start_at)), m_due(due) {
    touch();
}

void VideoPipeline::abort() {
    m_abort = true;
    m_packets.abort();
    m_frames.abort();
    m_audio_packets.abort();
    m_audio.abort();
}

bool VideoPipeline::wait_done(std::chrono::milliseconds limit) {
    std::unique_lock lock(m_mutex);
    return m_done_changed.wait_for(lock, limit, [&] { return m_done; });
}

void VideoPipeline::run() {
    give_way_to_render("video-demux"); // and the decoding threads it starts
    if (open()) {
        touch();
        if (m_start_at > 0) {
            // Joined part way (the schedule is a function of the clock): from the
            // key frame before, decoding what comes before the time without showing it.
            const int64_t start = container_start(m_format.get());
            const int64_t at = start + static_cast<int64_t>(m_start_at * AV_TIME_BASE);
            if (avformat_seek_file(m_format.get(), -1, INT64_MIN, at, at, 0) < 0) {
                note("cannot seek to " + std::to_string(m_start_at) + " s; playing from the start");
                m_start_at = 0;
            }
        }
        m_state = State::Playing;
        m_decode = std::thread([this] { decode_main(); });
        if (m_has_audio)
            m_audio_decode = std::thread([this] { audio_main(); });
        demux();
        m_decode.join();
        // The decoder's pictures and tables (10-15 MB at 1080p) go as soon as it
        // stops: at the end of its file, with its last frames still to show, not at
        // the boundary, where the next video's decoder grows; or when stopped
        // (VideoSource::stop()).
        m_codec.reset();
        if (m_audio_decode.joinable())
            m_audio_decode.join();
    }
    std::lock_guard lock(m_mutex);
    m_done = true;
    m_done_changed.notify_all();
}

std::string VideoPipeline::error() const {
    std::lock_guard lock(m_mutex);
    return m_error;
}

VideoInfo VideoPipeline::info() const {
    std::lock_guard lock(m_mutex);
    return m_info;
}

std::string VideoPipeline::take_notes() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_notes, {});
}

void VideoPipeline::fail(std::string message) {
    {
        std::lock_guard lock(m_mutex);
        if (m_error.empty())
            m_error = std::move(message);
    }
    m_state = State::Failed;
}

void VideoPipeline::note(std::string text) {
    std::lock_guard lock(m_mutex);
    m_notes += (m_notes.empty() ? "" : "; ") + text;
}

int VideoPipeline::interrupt(void* self) {
    return static_cast<VideoPipeline*>(self)->m_abort.load() ? 1 : 0;
}

AVPixelFormat VideoPipeline::pick_format(AVCodecContext* ctx, const AVPixelFormat* formats) {
    auto* self = static_cast<VideoPipeline*>(ctx->opaque);
    for (const AVPixelFormat* f = formats; *f != AV_PIX_FMT_NONE; ++f)
        if (*f == self->m_hw_format)
            return *f;
    // The hardware cannot take this stream (profile, size): decode in software.
    for (const AVPixelFormat* f = formats; *f != AV_PIX_FMT_NONE; ++f)
        if (!(av_pix_fmt_desc_get(*f)->flags & AV_PIX_FMT_FLAG_HWACCEL))
            return *f;
    return formats[0];
}

bool VideoPipeline::open_decoder(const AVCodec* codec, AVStream* stream) {
    m_codec.reset(avcodec_alloc_context3(codec));
    if (!m_codec || avcodec_parameters_to_context(m_codec.get(), stream->codecpar) < 0)
        return false;
    m_codec->pkt_timebase = stream->time_base;
    m_codec->opaque = this;
    // Frame threads, one core left to the render loop: one thread on two cores (a
    // 1080p H.264 decode takes a third of a core here), three on a Raspberry Pi's
    // four. Each thread holds frames of its own, so no more.
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    m_codec->thread_count = std::clamp(cores - 1, 1, 3);
    m_codec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    // A stream whose frames are larger than it declared is refused, not allocated.
    m_codec->max_pixels = kMaxDecodePixels;
    if (m_hw_device) {
        m_codec->hw_device_ctx = av_buffer_ref(m_hw_device.get());
        m_codec->get_format = &VideoPipeline::pick_format;
    }
    return avcodec_open2(m_codec.get(), codec, nullptr) == 0;
}

bool VideoPipeline::open() {
    const AVCodec* codec = open_container();
    if (!codec)
        return false;
    AVStream* stream = m_format->streams[m_stream];
    const std::string decoder_name = open_hardware_decoder(codec, stream);
    if (decoder_name.find("software") != std::string::npos && !open_decoder(codec, stream)) {
        fail(m_path.string() + ": cannot open the " + codec->name + " decoder");
        return false;
    }
    std::lock_guard lock(m_mutex);
    m_info.width = stream->codecpar->width;
    m_info.height = stream->codecpar->height;
    AVRational sar = av_guess_sample_aspect_ratio(m_format.get(), stream, nullptr);
    if (sar.num > 0 && sar.den > 0)
        m_info.sample_aspect = sar;
    m_info.rotation = display_rotation(stream);
    if (m_format->duration > 0)
        m_info.duration = static_cast<double>(m_format->duration) / AV_TIME_BASE;
    m_info.codec = codec->name;
    m_info.decoder = decoder_name;
    m_info.audio = m_has_audio ? m_audio_codec->codec->name : "";
    return true;
}

// The file, its video stream (m_stream) and sound, and what its times mean;
// returns the video's decoder, or nullptr when the file failed (fail() says why).
const AVCodec* VideoPipeline::open_container() {
    AVFormatContext* raw = avformat_alloc_context();
    if (!raw) {
        fail("out of memory");
        return nullptr;
    }
    // Lets a stalled read give up as soon as the player abandons the file.
    raw->interrupt_callback = {&VideoPipeline::interrupt, this};
    int rc = open_media_input(&raw, m_path, MediaKind::Video);
    if (rc < 0) {
        // Refused by the whitelist, or unreadable: say which. Only a regular file is
        // read again (a FIFO could block this thread for ever).
        std::error_code ec;
        const auto what = std::filesystem::is_regular_file(m_path, ec)
                              ? foreign_format(m_path, MediaKind::Video)
                              : std::nullopt;
        fail(m_path.string() + (what ? ": " + *what : ": cannot open: " + av_error_text(rc)));
        return nullptr;
    }
    m_format.reset(raw);
    if ((rc = read_stream_info(m_format.get())) < 0) {
        fail(m_path.string() + ": cannot read the streams: " + av_error_text(rc));
        return nullptr;
    }
    const AVCodec* codec = nullptr;
    m_stream = av_find_best_stream(m_format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (m_stream < 0) {
        fail(m_path.string() + (m_stream == AVERROR_DECODER_NOT_FOUND
                                    ? ": no decoder in this FFmpeg build for its video"
                                    : ": no video stream"));
        return nullptr;
    }
    AVStream* stream = m_format->streams[m_stream];
    m_time_base = stream->time_base;
    AVRational rate = av_guess_frame_rate(m_format.get(), stream, nullptr);
    if (rate.num > 0 && rate.den > 0)
        m_frame_period = av_q2d(av_inv_q(rate));
    m_origin = stream_start(stream);
    if (m_want_audio)
        open_audio();
    // Only what is played is read: every other packet is discarded by the demuxer.
    for (unsigned i = 0; i < m_format->nb_streams; ++i)
        if (static_cast<int>(i) != m_stream && static_cast<int>(i) != m_audio_stream)
            m_format->streams[i]->discard = AVDISCARD_ALL;
    return codec;
}

// Hardware decoding as --hwdec asks: v4l2m2m (the Raspberry Pi's stateful decoder,
// a codec of its own), then drm and vaapi (hwaccels of the software codec). Returns
// the decoder's name, "NAME (software)" when none opened (a note says why).
std::string VideoPipeline::open_hardware_decoder(const AVCodec* codec, AVStream* stream) {
    std::string decoder_name = std::string(codec->name) + " (software)";
    if (m_hwdec == "none")
        return decoder_name;
    std::string fallbacks;
    const bool any = m_hwdec == "auto";
    if (any || m_hwdec == "v4l2m2m") {
        std::string name = std::string(codec->name) + "_v4l2m2m";
        const AVCodec* v4l2 = avcodec_find_decoder_by_name(name.c_str());
        if (!v4l2)
            fallbacks += "v4l2m2m: no " + name + " decoder in this FFmpeg; ";
        else if (!path_exists("/dev/video10") && !path_exists("/dev/video0"))
            fallbacks += "v4l2m2m: no /dev/video device; ";
        else if (open_decoder(v4l2, stream))
            decoder_name = name;
        else
            fallbacks += "v4l2m2m: " + name + " did not open; ";
    }
    for (const char* type_name : {"drm", "vaapi"}) {
        if (decoder_name.find("software") == std::string::npos)
            break;
        if (any || m_hwdec == type_name)
            if (open_hwaccel(codec, stream, type_name, fallbacks))
                decoder_name = std::string(codec->name) + " (" + type_name + ")";
    }
    if (m_hwdec != "auto" && m_hwdec != "v4l2m2m" && m_hwdec != "drm" && m_hwdec != "vaapi" &&
        fallbacks.empty() && decoder_name.find("software") != std::string::npos)
        fallbacks = m_hwdec + ": not a decoder this player knows; ";
    if (decoder_name.find("software") != std::string::npos && !fallbacks.empty()) {
        fallbacks.resize(fallbacks.size() - 2);
        note("hardware decoding unavailable (" + fallbacks + "); decoding in software");
    }
    return decoder_name;
}

// The software codec with the hwaccel `type_name` (drm, vaapi), when the codec
// offers it and the device opens; why not is added to `fallbacks`.
bool VideoPipeline::open_hwaccel(const AVCodec* codec, AVStream* stream, const char* type_name,
                                 std::string& fallbacks) {
    AVHWDeviceType type = av_hwdevice_find_type_by_name(type_name);
    const AVCodecHWConfig* config = nullptr;
    for (int i = 0; (config = avcodec_get_hw_config(codec, i)); ++i)
        if (config->device_type == type &&
            (config->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX))
            break;
    if (type == AV_HWDEVICE_TYPE_NONE || !config) {
        fallbacks += std::string(type_name) + ": not offered for " + codec->name + "; ";
        return false;
    }
    AVBufferRef* device = nullptr;
    if (const int rc = av_hwdevice_ctx_create(&device, type, nullptr, nullptr, 0); rc < 0) {
        fallbacks += std::string(type_name) + ": " + av_error_text(rc) + "; ";
        return false;
    }
    m_hw_device.reset(device);
    m_hw_format = config->pix_fmt;
    if (open_decoder(codec, stream))
        return true;
    fallbacks += std::string(type_name) + ": the decoder did not open; ";
    m_hw_device.reset();
    m_hw_format = AV_PIX_FMT_NONE;
    return false;
}

bool VideoPipeline::open_audio() {
    const AVCodec* codec = nullptr;
    int index = av_find_best_stream(m_format.get(), AVMEDIA_TYPE_AUDIO, -1, m_stream, &codec, 0);
    if (index < 0) {
        if (index == AVERROR_DECODER_NOT_FOUND)
            note("no decoder for its sound; playing it silent");
        return false; // no sound: plays the same, silent
    }
    m_audio_codec.reset(avcodec_alloc_context3(codec));
    if (!m_audio_codec ||
        avcodec_parameters_to_context(m_audio_codec.get(), m_format->streams[index]->codecpar) <
            0 ||
        avcodec_open2(m_audio_codec.get(), codec, nullptr) < 0) {
        note(std::string("cannot open the ") + codec->name + " sound decoder; playing it silent");
        m_audio_codec.reset();
        return false;
    }
    m_audio_stream = index;
    m_audio_time_base = m_format->streams[index]->time_base;
    m_has_audio = true;
    return true;
}

void VideoPipeline::demux() {
    PacketPtr packet(av_packet_alloc());
    // After a seek (an item joined part way) the picture starts at a key frame. A
    // file without an index (MPEG-TS) may land where none follows: then it is read
    // from its start, and the frames before the time are decoded, not shown.
    bool want_key = m_start_at > 0;
    while (!m_abort) {
        int rc = av_read_frame(m_format.get(), packet.get());
        if (rc < 0 && want_key && !m_abort) {
            want_key = false;
            const int64_t start = container_start(m_format.get());
            // Back to the first byte where the format allows it (MPEG-TS), else by time.
            if (avformat_seek_file(m_format.get(), -1, 0, 0, 0, AVSEEK_FLAG_BYTE) >= 0 ||
                avformat_seek_file(m_format.get(), -1, INT64_MIN, start, start, 0) >= 0) {
                note("no key frame after " + std::to_string(m_start_at) +
                     " s; decoding from the start");
                continue;
            }
        }
        if (rc < 0) {
            if (rc != AVERROR_EOF && !m_abort)
                note("the file ends early: " + av_error_text(rc));
            if (m_loop && !m_abort) {
                m_packets.push({PacketItem::Kind::EndOfPass, nullptr});
                if (m_has_audio)
                    m_audio_packets.push({PacketItem::Kind::EndOfPass, nullptr});
                int64_t start = container_start(m_format.get());
                if (avformat_seek_file(m_format.get(), -1, INT64_MIN, start, start, 0) >= 0)
                    continue;
            }
            m_packets.push({PacketItem::Kind::EndOfStream, nullptr});
            if (m_has_audio)
                m_audio_packets.push({PacketItem::Kind::EndOfStream, nullptr});
            break;
        }
        const bool video = packet->stream_index == m_stream;
        if (!video && (!m_has_audio || packet->stream_index != m_audio_stream)) {
            av_packet_unref(packet.get());
            continue;
        }
        if (want_key && video) {
            if (!(packet->flags & AV_PKT_FLAG_KEY)) {
                av_packet_unref(packet.get());
                continue;
            }
            want_key = false;
        }
        PacketPtr item(av_packet_alloc());
        av_packet_move_ref(item.get(), packet.get());
        if (!(video ? m_packets : m_audio_packets).push({PacketItem::Kind::Data, std::move(item)}))
            break;
    }
}

bool VideoPipeline::emit(AVFrame* decoded) {
    FramePtr frame(av_frame_alloc());
    if (decoded->format == m_hw_format && m_hw_format != AV_PIX_FMT_NONE) {
        // The texture path needs the picture in system memory.
        if (av_hwframe_transfer_data(frame.get(), decoded, 0) < 0)
            return false;
        av_frame_copy_props(frame.get(), decoded);
    } else {
        av_frame_move_ref(frame.get(), decoded);
    }
    const int64_t ts = frame->best_effort_timestamp;
    double raw = ts == AV_NOPTS_VALUE ? m_next_raw : ts * av_q2d(m_time_base);
    double duration = frame_duration(frame.get()) > 0
                          ? frame_duration(frame.get()) * av_q2d(m_time_base)
                          : m_frame_period;
    if (m_first_raw < 0)
        m_first_raw = m_first_pass && m_start_at > 0 ? m_origin : raw;
    double pts = m_pass_offset + (raw - m_first_raw);
    if (m_first_pass && m_start_at > 0 && pts + duration <= m_start_at) {
        touch(); // decoded up to the time it was joined at: not shown
        return true;
    }
    // Joined late (VideoStart::due): not shown unless a period ahead of its time.
    if (m_due && !m_pass_had_frames && m_first_pass && m_start_at > 0 &&
        pts < m_start_at + VideoStart::kJoinCatchUp &&
        *m_due + std::chrono::duration_cast<Clock::duration>(
                     std::chrono::duration<double>(pts - m_start_at - duration)) <
            Clock::now()) {
        m_joined_late.fetch_add(1);
        m_late_frame = VideoFrame{std::move(frame), pts, duration, raw - m_origin};
        touch();
        return true;
    }
    m_late_frame.reset();
    // A timestamp going backwards (broken muxers) must not send the clock back.
    if (m_pass_had_frames && pts < m_end_of_pass - duration)
        pts = m_end_of_pass;
    m_next_raw = raw + duration;
    m_end_of_pass = pts + duration;
    m_pass_had_frames = true;
    touch();
    return m_frames.push({std::move(frame), pts, duration, raw - m_origin});
}

bool VideoPipeline::emit_last_late_frame() {
    if (m_pass_had_frames || !m_late_frame)
        return true;
    m_joined_late.fetch_sub(1);
    m_end_of_pass = m_late_frame->pts + m_late_frame->duration;
    m_pass_had_frames = true;
    return m_frames.push(*std::exchange(m_late_frame, std::nullopt));
}

// The sound's converter to the speakers' format (16-bit stereo at kAudioRate),
// made again when a frame's format or rate differs from the last one's.
struct SoundResampler {
    std::unique_ptr<SwrContext, void (*)(SwrContext*)> swr{nullptr,
                                                           [](SwrContext* p) { swr_free(&p); }};
    int format = -1, rate = 0;
    // False when `frame`'s sound cannot be converted.
    bool fit(AVFrame* frame) {
        if (swr && format == frame->format && rate == frame->sample_rate)
            return true;
        AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
        SwrContext* raw = nullptr;
        if (swr_alloc_set_opts2(&raw, &stereo, AV_SAMPLE_FMT_S16, kAudioRate, &frame->ch_layout,
                                static_cast<AVSampleFormat>(frame->format), frame->sample_rate, 0,
                                nullptr) < 0 ||
            swr_init(raw) < 0) {
            swr_free(&raw);
            return false;
        }
        swr.reset(raw);
        format = frame->format;
        rate = frame->sample_rate;
        return true;
    }
};

void VideoPipeline::audio_main() {
    give_way_to_render("audio-decode");
    SoundResampler resampler;
    FramePtr frame(av_frame_alloc());
    double pass_offset = 0, end_of_pass = 0, next_raw = m_origin;
    const double start_at = m_start_at; // never changed once decoding starts
    auto drain = [&]() -> bool {
        while (avcodec_receive_frame(m_audio_codec.get(), frame.get()) == 0) {
            if (!resampler.fit(frame.get())) {
                note("cannot convert its sound; playing it silent");
                return false;
            }
            SwrContext* swr = resampler.swr.get();
            const int64_t ts = frame->best_effort_timestamp;
            const double raw = ts == AV_NOPTS_VALUE ? next_raw : ts * av_q2d(m_audio_time_base);
            AudioChunk chunk;
            const int capacity = swr_get_out_samples(swr, frame->nb_samples);
            chunk.pcm.resize(static_cast<size_t>(capacity) * 4);
            uint8_t* out = chunk.pcm.data();
            const int samples =
                swr_convert(swr, &out, capacity, const_cast<const uint8_t**>(frame->extended_data),
                            frame->nb_samples);
            if (samples <= 0)
                continue;
            chunk.pcm.resize(static_cast<size_t>(samples) * 4);
            chunk.duration = static_cast<double>(samples) / kAudioRate;
            chunk.pts = pass_offset + (raw - m_origin);
            if (pass_offset == 0 && chunk.pts + chunk.duration <= start_at)
                continue; // before the time the item was joined at
            next_raw = raw + static_cast<double>(frame->nb_samples) / frame->sample_rate;
            end_of_pass = chunk.pts + chunk.duration;
            if (!m_audio.push(std::move(chunk)))
                return false;
        }
        return true;
    };
    while (auto item = m_audio_packets.pop()) {
        if (item->kind == PacketItem::Kind::Data) {
            // A broken sound packet is skipped: the picture goes on regardless.
            avcodec_send_packet(m_audio_codec.get(), item->packet.get());
            if (!drain())
                return;
            continue;
        }
        avcodec_send_packet(m_audio_codec.get(), nullptr);
        if (!drain() || item->kind == PacketItem::Kind::EndOfStream)
            return;
        avcodec_flush_buffers(m_audio_codec.get());
        pass_offset = end_of_pass;
        next_raw = m_origin;
    }
}

void VideoPipeline::decode_main() {
    give_way_to_render("video-decode");
    FramePtr frame(av_frame_alloc());
    int errors_in_a_row = 0;
    auto drain = [&]() -> bool {
        while (true) {
            int rc = avcodec_receive_frame(m_codec.get(), frame.get());
            if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF)
                return true;
            if (rc < 0) {
                if (++errors_in_a_row > 50) {
                    fail(m_path.string() + ": the decoder keeps failing: " + av_error_text(rc));
                    return false;
                }
                continue;
            }
            errors_in_a_row = 0;
            if (!emit(frame.get()))
                return false;
        }
    };
    // A packet is decoded only when its frame has room in the queue: a frame made
    // ahead of that would wait in the decoder, one more picture held.
    while (m_frames.wait_for_room()) {
        std::optional<PacketItem> item = m_packets.pop();
        if (!item)
            return;
        if (item->kind == PacketItem::Kind::Data) {
            int rc = avcodec_send_packet(m_codec.get(), item->packet.get());
            if (rc == AVERROR(EAGAIN)) {
                if (!drain())
                    return;
                rc = avcodec_send_packet(m_codec.get(), item->packet.get());
            }
            if (rc < 0 && rc != AVERROR(EAGAIN) && ++errors_in_a_row > 50) {
                fail(m_path.string() + ": the decoder keeps failing: " + av_error_text(rc));
                return;
            }
            if (!drain())
                return;
            continue;
        }
        // End of a pass: flush out the frames the decoder still holds.
        avcodec_send_packet(m_codec.get(), nullptr);
        if (!drain() || !emit_last_late_frame())
            return;
        if (item->kind == PacketItem::Kind::EndOfStream || !m_pass_had_frames) {
            if (!m_pass_had_frames && m_end_of_pass == 0)
                fail(m_path.string() + ": no picture could be decoded");
            else
                m_state = State::Ended;
            return;
        }
        avcodec_flush_buffers(m_codec.get());
        m_pass_offset = m_end_of_pass;
        m_first_raw = -1;
        m_first_pass = false;
        m_pass_had_frames = false;
    }
}

} // namespace milepost
