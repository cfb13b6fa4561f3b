#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <SDL_ttf.h>

// The layout tests measure text with SDL_ttf, which needs no display. No TTF_Quit:
// the fonts the tests share are static and close after main returns.
int main(int argc, char** argv) {
    if (TTF_Init() != 0)
        return 1;
    doctest::Context context(argc, argv);
    return context.run();
}
