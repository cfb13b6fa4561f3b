// The least any player must do to show a video in an X window with no GPU, as a
// yardstick for bench/run: decode on one thread (as `ffmpeg -threads 1`), convert
// each frame with swscale into the X screen's 32-bit pixels, put it through MIT-SHM
// (the X server then copies it into its screen) and wait for the server, each
// frame at its time. No banner, no plan, no second decoder, no trace: what is left
// between this and milepost-player --windowed is the player's own cost.
//
//   milepost-bench-window-floor CLIP [WxH]   (DISPLAY names the X server)
//
// WxH: the window's size (default the clip's); the picture is scaled to fit it, as
// a player fills its screen, with the scaler the player uses for that direction.
//
// Prints "presented N dropped 0 late L" at the end (L: frames put more than a frame
// period after their time; none is skipped).
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>
#include <sys/ipc.h>
#include <sys/shm.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

int fail(const char* what, const char* detail = "") {
    std::fprintf(stderr, "window-floor: %s%s\n", what, detail);
    return 1;
}

// The screen's 32-bit pixels as FFmpeg names them, from the visual's red mask and
// the image's byte order; AV_PIX_FMT_NONE for any other layout.
AVPixelFormat screen_format(const Visual* visual, const XImage* image) {
    if (image->bits_per_pixel != 32 || visual->red_mask != 0xff0000 ||
        visual->green_mask != 0xff00 || visual->blue_mask != 0xff)
        return AV_PIX_FMT_NONE;
    return image->byte_order == LSBFirst ? AV_PIX_FMT_BGR0 : AV_PIX_FMT_0RGB;
}

// The clip's video stream and its decoder, on one thread.
struct Clip {
    AVFormatContext* format = nullptr;
    int stream = -1;
    AVCodecContext* decoder = nullptr;
};

std::optional<Clip> open_clip(const char* path) {
    Clip clip;
    if (avformat_open_input(&clip.format, path, nullptr, nullptr) < 0 ||
        avformat_find_stream_info(clip.format, nullptr) < 0)
        return fail("cannot read ", path), std::nullopt;
    clip.stream = av_find_best_stream(clip.format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (clip.stream < 0)
        return fail("no video stream in ", path), std::nullopt;
    const AVCodecParameters* params = clip.format->streams[clip.stream]->codecpar;
    const AVCodec* codec = avcodec_find_decoder(params->codec_id);
    clip.decoder = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(clip.decoder, params);
    clip.decoder->thread_count = 1;
    if (!codec || avcodec_open2(clip.decoder, codec, nullptr) < 0)
        return fail("cannot open a decoder for ", path), std::nullopt;
    return clip;
}

// A mapped window and an image shared with the X server, where the picture (W x H,
// at left, top) is put.
struct Target {
    Display* display = nullptr;
    Window window = 0;
    GC gc = nullptr;
    XShmSegmentInfo shm{};
    XImage* image = nullptr;
    AVPixelFormat pixels = AV_PIX_FMT_NONE;
    int left = 0, top = 0, width = 0, height = 0;
};

std::optional<Target> open_window(int window_width, int window_height, int width, int height) {
    Target s{.left = (window_width - width) / 2,
             .top = (window_height - height) / 2,
             .width = width,
             .height = height};
    s.display = XOpenDisplay(nullptr);
    if (!s.display)
        return fail("cannot open the X display ", XDisplayName(nullptr)), std::nullopt;
    if (!XShmQueryExtension(s.display))
        return fail("the X server has no MIT-SHM"), std::nullopt;
    const int screen = DefaultScreen(s.display);
    Visual* visual = DefaultVisual(s.display, screen);
    s.window = XCreateSimpleWindow(s.display, RootWindow(s.display, screen), 0, 0, window_width,
                                   window_height, 0, 0, BlackPixel(s.display, screen));
    XSelectInput(s.display, s.window, StructureNotifyMask);
    XMapWindow(s.display, s.window);
    for (XEvent event;;) {
        XNextEvent(s.display, &event);
        if (event.type == MapNotify)
            break;
    }
    s.image = XShmCreateImage(s.display, visual, DefaultDepth(s.display, screen), ZPixmap, nullptr,
                              &s.shm, width, height);
    s.pixels = s.image ? screen_format(visual, s.image) : AV_PIX_FMT_NONE;
    if (s.pixels == AV_PIX_FMT_NONE)
        return fail("the X screen's pixels are not 32-bit RGB"), std::nullopt;
    s.shm.shmid = shmget(IPC_PRIVATE, static_cast<size_t>(s.image->bytes_per_line) * height,
                         IPC_CREAT | 0600);
    s.shm.shmaddr = s.image->data = static_cast<char*>(shmat(s.shm.shmid, nullptr, 0));
    s.shm.readOnly = False;
    if (s.shm.shmid < 0 || s.shm.shmaddr == reinterpret_cast<char*>(-1) ||
        !XShmAttach(s.display, &s.shm))
        return fail("cannot share memory with the X server"), std::nullopt;
    XSync(s.display, False);
    shmctl(s.shm.shmid, IPC_RMID, nullptr); // freed once both have detached
    s.gc = XCreateGC(s.display, s.window, 0, nullptr);
    return s;
}

void close_window(Target& s) {
    XShmDetach(s.display, &s.shm);
    XDestroyImage(s.image); // not the shared memory, which shmdt lets go
    shmdt(s.shm.shmaddr);
    XCloseDisplay(s.display);
}

// The decoder's pictures into the screen's pixels, with the scaler the player uses
// for that direction and HD's colours (BT.709), limited range in, full range out.
SwsContext* make_converter(const AVCodecContext* decoder, const Target& s) {
    const int scaler = s.width == decoder->width && s.height == decoder->height ? SWS_POINT
                       : s.width > decoder->width                               ? SWS_FAST_BILINEAR
                                                                                : SWS_BILINEAR;
    SwsContext* convert = sws_getContext(decoder->width, decoder->height, decoder->pix_fmt, s.width,
                                         s.height, s.pixels, scaler, nullptr, nullptr, nullptr);
    if (convert) {
        const int* bt709 = sws_getCoefficients(SWS_CS_ITU709);
        sws_setColorspaceDetails(convert, bt709, 0, bt709, 1, 0, 1 << 16, 1 << 16);
    }
    return convert;
}

struct Played {
    long presented = 0, late = 0;
};

// Every frame decoded, converted and put at its time (the first frame's at once).
Played play(Clip& clip, Target& s, SwsContext* convert) {
    const AVStream* video = clip.format->streams[clip.stream];
    const double time_base = av_q2d(video->time_base);
    const double period = video->avg_frame_rate.num > 0 ? 1 / av_q2d(video->avg_frame_rate) : 0.04;
    AVPacket* packet = av_packet_alloc();
    AVFrame* frame = av_frame_alloc();
    uint8_t* planes[1] = {reinterpret_cast<uint8_t*>(s.image->data)};
    const int pitches[1] = {s.image->bytes_per_line};
    std::optional<Clock::time_point> start;
    Played played;
    for (bool input = true;;) {
        if (input && av_read_frame(clip.format, packet) < 0) {
            input = false;
            avcodec_send_packet(clip.decoder, nullptr); // drain
        } else if (input) {
            if (packet->stream_index == clip.stream)
                avcodec_send_packet(clip.decoder, packet);
            av_packet_unref(packet);
        }
        int got = 0;
        while ((got = avcodec_receive_frame(clip.decoder, frame)) == 0) {
            sws_scale(convert, frame->data, frame->linesize, 0, frame->height, planes, pitches);
            const auto pts = std::chrono::duration_cast<Clock::duration>(
                std::chrono::duration<double>(frame->best_effort_timestamp * time_base));
            if (!start)
                start = Clock::now() - pts;
            const Clock::time_point due = *start + pts;
            std::this_thread::sleep_until(due);
            if (Clock::now() - due > std::chrono::duration<double>(period))
                ++played.late;
            XShmPutImage(s.display, s.window, s.gc, s.image, 0, 0, s.left, s.top, s.width, s.height,
                         False);
            XSync(s.display, False); // the server has copied it: the image may be written again
            ++played.presented;
            av_frame_unref(frame);
        }
        if (got != AVERROR(EAGAIN))
            break; // the end, or an error
    }
    av_frame_free(&frame);
    av_packet_free(&packet);
    return played;
}

} // namespace

int main(int argc, char** argv) {
    int window_width = 0, window_height = 0;
    if (argc < 2 || argc > 3 ||
        (argc == 3 && (std::sscanf(argv[2], "%dx%d", &window_width, &window_height) != 2 ||
                       window_width <= 0 || window_height <= 0))) {
        std::fprintf(stderr,
                     "usage: milepost-bench-window-floor CLIP [WxH]   (DISPLAY: the X server)\n");
        return 2;
    }
    std::optional<Clip> clip = open_clip(argv[1]);
    if (!clip)
        return 1;
    const AVCodecContext* decoder = clip->decoder;
    if (!window_width) {
        window_width = decoder->width;
        window_height = decoder->height;
    }
    // The picture fitted inside the window, centred.
    std::optional<Target> target =
        open_window(window_width, window_height,
                    std::min(window_width, decoder->width * window_height / decoder->height),
                    std::min(window_height, decoder->height * window_width / decoder->width));
    if (!target)
        return 1;
    SwsContext* convert = make_converter(decoder, *target);
    if (!convert)
        return fail("swscale cannot convert this clip's pixels");
    const Played played = play(*clip, *target, convert);
    std::printf("presented %ld dropped 0 late %ld\n", played.presented, played.late);
    sws_freeContext(convert);
    close_window(*target);
    avcodec_free_context(&clip->decoder);
    avformat_close_input(&clip->format);
    return 0;
}
