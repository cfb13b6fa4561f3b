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
    AVFormatContext* format = nullptr;
    if (avformat_open_input(&format, argv[1], nullptr, nullptr) < 0 ||
        avformat_find_stream_info(format, nullptr) < 0)
        return fail("cannot read ", argv[1]);
    const int stream = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (stream < 0)
        return fail("no video stream in ", argv[1]);
    const AVStream* video = format->streams[stream];
    const AVCodec* codec = avcodec_find_decoder(video->codecpar->codec_id);
    AVCodecContext* decoder = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(decoder, video->codecpar);
    decoder->thread_count = 1;
    if (!codec || avcodec_open2(decoder, codec, nullptr) < 0)
        return fail("cannot open a decoder for ", argv[1]);
    if (!window_width) {
        window_width = decoder->width;
        window_height = decoder->height;
    }
    // The picture fitted inside the window, centred.
    const int width = std::min(window_width, decoder->width * window_height / decoder->height);
    const int height = std::min(window_height, decoder->height * window_width / decoder->width);
    const int left = (window_width - width) / 2, top = (window_height - height) / 2;

    Display* display = XOpenDisplay(nullptr);
    if (!display)
        return fail("cannot open the X display ", XDisplayName(nullptr));
    if (!XShmQueryExtension(display))
        return fail("the X server has no MIT-SHM");
    const int screen = DefaultScreen(display);
    Visual* visual = DefaultVisual(display, screen);
    const Window window =
        XCreateSimpleWindow(display, RootWindow(display, screen), 0, 0, window_width, window_height,
                            0, 0, BlackPixel(display, screen));
    XSelectInput(display, window, StructureNotifyMask);
    XMapWindow(display, window);
    for (XEvent event;;) {
        XNextEvent(display, &event);
        if (event.type == MapNotify)
            break;
    }
    XShmSegmentInfo shm{};
    XImage* image = XShmCreateImage(display, visual, DefaultDepth(display, screen), ZPixmap,
                                    nullptr, &shm, width, height);
    const AVPixelFormat pixels = image ? screen_format(visual, image) : AV_PIX_FMT_NONE;
    if (pixels == AV_PIX_FMT_NONE)
        return fail("the X screen's pixels are not 32-bit RGB");
    shm.shmid =
        shmget(IPC_PRIVATE, static_cast<size_t>(image->bytes_per_line) * height, IPC_CREAT | 0600);
    shm.shmaddr = image->data = static_cast<char*>(shmat(shm.shmid, nullptr, 0));
    shm.readOnly = False;
    if (shm.shmid < 0 || shm.shmaddr == reinterpret_cast<char*>(-1) || !XShmAttach(display, &shm))
        return fail("cannot share memory with the X server");
    XSync(display, False);
    shmctl(shm.shmid, IPC_RMID, nullptr); // freed once both have detached
    const GC gc = XCreateGC(display, window, 0, nullptr);

    const int scaler = width == decoder->width && height == decoder->height ? SWS_POINT
                       : width > decoder->width                             ? SWS_FAST_BILINEAR
                                                                            : SWS_BILINEAR;
    SwsContext* convert = sws_getContext(decoder->width, decoder->height, decoder->pix_fmt, width,
                                         height, pixels, scaler, nullptr, nullptr, nullptr);
    if (!convert)
        return fail("swscale cannot convert this clip's pixels");
    // HD's colours (BT.709), limited range in, full range out.
    const int* bt709 = sws_getCoefficients(SWS_CS_ITU709);
    sws_setColorspaceDetails(convert, bt709, 0, bt709, 1, 0, 1 << 16, 1 << 16);
    AVPacket* packet = av_packet_alloc();
    AVFrame* frame = av_frame_alloc();
    const double time_base = av_q2d(video->time_base);
    const double period = video->avg_frame_rate.num > 0 ? 1 / av_q2d(video->avg_frame_rate) : 0.04;
    std::optional<Clock::time_point> start;
    long presented = 0, late = 0;
    for (bool input = true;;) {
        if (input) {
            if (av_read_frame(format, packet) < 0) {
                input = false;
                avcodec_send_packet(decoder, nullptr); // drain
            } else {
                if (packet->stream_index == stream)
                    avcodec_send_packet(decoder, packet);
                av_packet_unref(packet);
            }
        }
        int got = 0;
        while ((got = avcodec_receive_frame(decoder, frame)) == 0) {
            uint8_t* planes[1] = {reinterpret_cast<uint8_t*>(image->data)};
            const int pitches[1] = {image->bytes_per_line};
            sws_scale(convert, frame->data, frame->linesize, 0, decoder->height, planes, pitches);
            const auto pts = std::chrono::duration_cast<Clock::duration>(
                std::chrono::duration<double>(frame->best_effort_timestamp * time_base));
            if (!start)
                start = Clock::now() - pts;
            const Clock::time_point due = *start + pts;
            std::this_thread::sleep_until(due);
            if (Clock::now() - due > std::chrono::duration<double>(period))
                ++late;
            XShmPutImage(display, window, gc, image, 0, 0, left, top, width, height, False);
            XSync(display, False); // the server has copied it: the image may be written again
            ++presented;
            av_frame_unref(frame);
        }
        if (got == AVERROR_EOF || (got != AVERROR(EAGAIN) && got < 0))
            break;
    }
    std::printf("presented %ld dropped 0 late %ld\n", presented, late);
    av_frame_free(&frame);
    av_packet_free(&packet);
    sws_freeContext(convert);
    XShmDetach(display, &shm);
    XDestroyImage(image); // not the shared memory, which shmdt lets go
    shmdt(shm.shmaddr);
    XCloseDisplay(display);
    avcodec_free_context(&decoder);
    avformat_close_input(&format);
    return 0;
}
