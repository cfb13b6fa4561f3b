#pragma once
// One video file being read and decoded ahead of the screen: a demux thread
// fills a bounded packet queue, a decode thread turns packets into frames in a
// bounded frame queue, and the render loop takes frames by their time. The
// pipeline of ffplay, behind a small wrapper (STYLE.md).
#include "BoundedQueue.hpp"
#include "Ffmpeg.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

namespace milepost {

struct VideoFrame {
    FramePtr frame;       // in system memory (hardware frames are downloaded)
    double pts = 0;       // seconds after the item's first frame, continuous across loops
    double duration = 0;  // seconds it stays up
};

struct VideoInfo {
    int width = 0, height = 0;
    AVRational sample_aspect{1, 1};
    int rotation = 0;      // degrees clockwise that turn the picture upright
    double duration = 0;   // seconds; 0 when the file does not say
    std::string codec;     // "h264"
    std::string decoder;   // "h264 (software)", "h264_v4l2m2m", "h264 (vaapi)"
};

enum class HwdecMode { Auto, None, Named };

class VideoSource {
public:
    using Clock = std::chrono::steady_clock;
    enum class State { Opening, Playing, Ended, Failed };

    // Starts reading `path` at once, on its own threads. `hwdec`: "auto", "none" or
    // an FFmpeg device name ("vaapi", "drm", "v4l2m2m"). `loop`: start again at the
    // end, for an item whose duration is longer than its video.
    static std::unique_ptr<VideoSource> start(std::filesystem::path path, std::string hwdec,
                                              bool loop);
    ~VideoSource(); // stops and joins the threads
    VideoSource(const VideoSource&) = delete;
    VideoSource& operator=(const VideoSource&) = delete;

    // Called from the render thread.
    // While an item waits its turn it decodes only its first frame: a Raspberry Pi's
    // memory holds two decoders, not two full queues.
    void set_on_screen(bool on_screen) { m_frames.set_capacity(on_screen ? kQueuedFrames : 1); }
    State state() const { return m_state.load(); }
    std::string error() const;
    VideoInfo info() const;           // complete once state() is past Opening
    BoundedQueue<VideoFrame>& frames() { return m_frames; }
    Clock::time_point last_progress() const { return Clock::time_point(Clock::duration(m_progress.load())); }
    // Notes for the log (hardware decoding fell back, the stream ended early).
    std::string take_notes();

private:
    VideoSource(std::filesystem::path path, std::string hwdec, bool loop);
    struct PacketItem {
        enum class Kind { Data, EndOfPass, EndOfStream } kind = Kind::Data;
        PacketPtr packet;
    };

    void demux_main();                // the demux thread
    void decode_main();               // the decode thread
    bool open();                      // on the demux thread
    bool open_decoder(const AVCodec* codec, AVStream* stream);
    bool emit(AVFrame* frame);        // on the decode thread
    void fail(std::string message);
    void note(std::string text);
    void touch() { m_progress.store(Clock::now().time_since_epoch().count()); }
    static int interrupt(void* self);
    static AVPixelFormat pick_format(AVCodecContext* ctx, const AVPixelFormat* formats);

    const std::filesystem::path m_path;
    const std::string m_hwdec;
    const bool m_loop;

    std::atomic<bool> m_abort{false};
    std::atomic<State> m_state{State::Opening};
    std::atomic<Clock::rep> m_progress; // last time a frame was made (or the file opened)

    mutable std::mutex m_mutex;
    std::string m_error; // guarded by m_mutex
    VideoInfo m_info;    // guarded by m_mutex
    std::string m_notes; // guarded by m_mutex

    // Owned by the demux thread until the decode thread starts; then the format
    // context is the demux thread's and the codec context the decode thread's.
    FormatPtr m_format;
    CodecPtr m_codec;
    BufferPtr m_hw_device;
    AVPixelFormat m_hw_format = AV_PIX_FMT_NONE;
    int m_stream = -1;
    AVRational m_time_base{1, 1};
    double m_frame_period = 1.0 / 30;

    // Decode thread only.
    double m_pass_offset = 0;   // pts of the first frame of this pass
    double m_first_raw = -1;    // raw seconds of the first frame of this pass; -1: none yet
    double m_next_raw = 0;      // expected raw seconds of the next frame
    double m_end_of_pass = 0;   // pts + duration of the last frame made
    bool m_pass_had_frames = false;

    BoundedQueue<PacketItem> m_packets{64};
    static constexpr size_t kQueuedFrames = 3; // as ffplay: enough to ride out a slow frame
    BoundedQueue<VideoFrame> m_frames{1};
    std::thread m_demux; // joins m_decode before it ends
    std::thread m_decode;
};

} // namespace milepost
