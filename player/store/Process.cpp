#include "Process.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace milepost {

namespace {

// The environment for the tool: this process's, with `env` added or replacing.
std::vector<std::string> tool_environment(const std::vector<std::string>& env,
                                          std::string_view drop_prefix) {
    std::vector<std::string> out = env;
    for (char** e = environ; *e; ++e) {
        const std::string_view entry(*e);
        const std::string_view name = entry.substr(0, entry.find('='));
        bool replaced = !drop_prefix.empty() && name.starts_with(drop_prefix);
        for (const std::string& own : env)
            replaced = replaced || std::string_view(own).substr(0, own.find('=')) == name;
        if (!replaced)
            out.emplace_back(entry);
    }
    return out;
}

std::string slurp_and_remove(const char* name) {
    std::ifstream in(name, std::ios::binary);
    std::string s((std::istreambuf_iterator<char>(in)), {});
    ::unlink(name);
    return s;
}

} // namespace

ToolResult run_tool(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    std::string_view drop_prefix, const std::function<void()>& tick) {
    ToolResult r;
    // Output goes to temporary files, not pipes: a tool that writes much to both
    // streams cannot block on a full pipe while this waits for it.
    char out_name[] = "/tmp/milepost-tool-out-XXXXXX";
    char err_name[] = "/tmp/milepost-tool-err-XXXXXX";
    const int out = ::mkstemp(out_name);
    const int err = ::mkstemp(err_name);
    if (out < 0 || err < 0) {
        r.err = "cannot make a temporary file in /tmp";
        if (out >= 0)
            ::close(out), ::unlink(out_name);
        if (err >= 0)
            ::close(err), ::unlink(err_name);
        return r;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out, 1);
    posix_spawn_file_actions_adddup2(&actions, err, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    std::vector<std::string> env_text = tool_environment(env, drop_prefix);
    std::vector<std::string> argv_text = argv;
    std::vector<char*> envp, args;
    for (auto& e : env_text)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    for (auto& a : argv_text)
        args.push_back(a.data());
    args.push_back(nullptr);
    pid_t pid = -1;
    if (!argv.empty() &&
        posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data()) == 0) {
        int status = 0;
        while (true) {
            const pid_t done = ::waitpid(pid, &status, tick ? WNOHANG : 0);
            if (done == pid || (done < 0 && errno != EINTR))
                break;
            if (done == 0) {
                tick();
                ::usleep(200000);
            }
        }
        r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    } else {
        r.err = (argv.empty() ? std::string("(no program)") : argv[0]) +
                ": cannot run it (is it installed?)\n";
    }
    posix_spawn_file_actions_destroy(&actions);
    ::close(out);
    ::close(err);
    r.out = slurp_and_remove(out_name);
    r.err += slurp_and_remove(err_name);
    return r;
}

} // namespace milepost
