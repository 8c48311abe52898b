/* The undiluted CLI stand-in: what bench/instant_cli.py prints (a stream-json `init`, one
 * `assistant` line and a `result`), at a cost of well under a millisecond, so a benchmark's
 * ratio measures the system and not the stand-in. bench/native_cli.py compiles it into the
 * benchmark's temp directory.
 *
 * Like the real CLI with `-p` and no prompt argument, it reads the prompt from stdin to its
 * end. A prompt `@bench stream COUNT MILLISECONDS` prints COUNT `stream_event` lines that far
 * apart instead, each carrying the time it was written (`bench_t`), then the `result`.
 * With BENCH_START_LOG set it appends one line per run, `STARTED<TAB>ENDED<TAB>PROMPT`
 * (time.time() values: at main, and after its last line was written).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void write_all(int fd, const char *data, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, data, length);
        if (n <= 0) return;
        data += n;
        length -= (size_t)n;
    }
}

static char *read_prompt(int argc, char **argv, size_t *length) {
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "-p") == 0 && strncmp(argv[i + 1], "--", 2) != 0) {
            *length = strlen(argv[i + 1]);
            return argv[i + 1];
        }
    }
    size_t size = 4096, used = 0;
    char *buffer = malloc(size);
    ssize_t n;
    while (buffer && (n = read(0, buffer + used, size - used)) > 0) {
        used += (size_t)n;
        if (used == size) buffer = realloc(buffer, size *= 2);
    }
    *length = used;
    return buffer ? buffer : "";
}

/* At most `limit` bytes of text as a JSON string's inside, cut on a character boundary. */
static size_t json_escape(char *out, const char *text, size_t length, size_t limit) {
    size_t o = 0;
    if (length > limit) {
        length = limit;
        while (length > 0 && ((unsigned char)text[length] & 0xC0) == 0x80) length--;
    }
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            o += (size_t)sprintf(out + o, "\\u%04x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return o;
}

/* The `result` line after what `before` holds, written in one write (one wakeup of the reader,
 * as bench/instant_cli.py's single write). */
static void emit_result(const char *before, const char *session, const char *text,
                        int output_tokens, int ms) {
    char line[8192];
    int n = snprintf(line, sizeof line, "%s"
                     "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"
                     "\"result\":\"%s\",\"total_cost_usd\":0.0001,\"usage\":{\"input_tokens\":10,"
                     "\"output_tokens\":%d,\"cache_creation_input_tokens\":0,"
                     "\"cache_read_input_tokens\":0},\"num_turns\":1,\"duration_ms\":%d,"
                     "\"session_id\":\"%s\"}\n",
                     before, text, output_tokens, ms, session);
    write_all(1, line, (size_t)n);
}

static void instant(const char *session, const char *head) {
    char out[4096];
    int n = snprintf(out, sizeof out,
                     "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"%s\","
                     "\"tools\":[],\"model\":\"instant\"}\n"
                     "{\"type\":\"assistant\",\"session_id\":\"%s\",\"message\":{\"role\":"
                     "\"assistant\",\"content\":[{\"type\":\"text\",\"text\":\"ok: %s\"}],"
                     "\"usage\":{\"input_tokens\":10,\"output_tokens\":5,"
                     "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}}\n",
                     session, session, head);
    (void)n;
    char text[600];
    snprintf(text, sizeof text, "ok: %s", head);
    emit_result(out, session, text, 5, 1);
}

static void stream(const char *session, long count, double interval) {
    char line[512];
    int n = snprintf(line, sizeof line,
                     "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"%s\","
                     "\"model\":\"bench\"}\n", session);
    write_all(1, line, (size_t)n);
    struct timespec start, at;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < count; i++) {
        double due = (double)i * interval; /* a fixed schedule: no drift */
        long long ns = (long long)start.tv_nsec + (long long)(due * 1e9);
        at.tv_sec = start.tv_sec + (time_t)(ns / 1000000000LL);
        at.tv_nsec = (long)(ns % 1000000000LL);
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
        n = snprintf(line, sizeof line,
                     "{\"type\":\"stream_event\",\"event\":{\"type\":\"bench_tick\","
                     "\"index\":%ld},\"bench_t\":%.6f}\n", i, now());
        write_all(1, line, (size_t)n);
    }
    char text[64];
    snprintf(text, sizeof text, "streamed %ld lines", count);
    emit_result("", session, text, (int)count, (int)((double)count * interval * 1000));
}

int main(int argc, char **argv) {
    double started = now();
    size_t length;
    char *prompt = read_prompt(argc, argv, &length);
    char session[64];
    snprintf(session, sizeof session, "bench-%ld-%ld", (long)getpid(), (long)(started * 1e6));
    long count;
    double interval_ms;
    char tail;
    char *copy = strndup(prompt, length);
    int matched = copy ? sscanf(copy, "@bench stream %ld %lf%c", &count, &interval_ms, &tail) : 0;
    if (matched == 2 || (matched == 3 && tail == '\n' && copy[length - 1] == '\n')) {
        stream(session, count, interval_ms / 1000.0);
    } else {
        char head[80 * 6 + 1];
        json_escape(head, prompt, length, 80);
        instant(session, head);
    }
    double ended = now();
    const char *log = getenv("BENCH_START_LOG");
    if (log && *log) {
        int fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644);
        if (fd >= 0) {
            char note[128];
            int n = snprintf(note, sizeof note, "%.6f\t%.6f\t", started, ended);
            /* one write, so lines of runs at once never interleave */
            char *whole = malloc((size_t)n + length + 2);
            if (whole) {
                memcpy(whole, note, (size_t)n);
                memcpy(whole + n, prompt, length);
                whole[n + length] = '\n';
                write_all(fd, whole, (size_t)n + length + 1);
            }
            close(fd);
        }
    }
    return 0;
}
