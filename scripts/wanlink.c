/*
 * wanlink: a wide-area network between network namespaces, in user space.
 *
 * Why: `tc netem` needs the kernel's sch_netem, which some machines (this
 * project's CI VMs among them) do not have. wanlink gives each namespace a
 * TUN interface whose other end it holds, and carries every IPv4 packet
 * between them itself: one-way delay, jitter and loss per pair of sites, and
 * partitions, read from a control file (re-read on SIGHUP).
 *
 *   wanlink --nodes N --netns-prefix P --subnet 10.77.0 --seconds T --control FILE
 *
 * Node i (0..N-1) lives in namespace P<i> with address <subnet>.<i+1>; the
 * load generator in P"c" with <subnet>.100, at node 0's site (no delay to
 * it). <subnet>.(51+i) is node i's second address (a node that moved). Control file lines:
 *   rtt_ms R        round trip between two sites (one-way R/2 each way)
 *   jitter_ms J     each packet's one-way delay varies by up to +-J/2
 *   loss_pct L      each packet is dropped with probability L/100
 *   block A B       no packet between nodes A and B (both ways)
 * Packets to one destination keep their order (a delay never reorders; TCP
 * over a netem link with jitter sees reordering, this emulator does not).
 *
 * Bounds: it exits after --seconds whatever happens, on SIGTERM/SIGINT, and
 * holds at most QUEUE_MAX packets (drops beyond, as a full router queue).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define SITES_MAX 17      /* 16 nodes and the client */
#define PACKET_MAX 65536
#define QUEUE_MAX 65536

typedef struct {
    uint64_t due_ns;
    int to;
    uint32_t len;
    unsigned char *data;
} packet;

static volatile sig_atomic_t reload = 1, stop = 0;
static void on_hup(int s) { (void)s; reload = 1; }
static void on_stop(int s) { (void)s; stop = 1; }

static int nodes, fds[SITES_MAX];
static char prefix[64], subnet[32], control[512];
static double rtt_ms = 0, jitter_ms = 0, loss_pct = 0;
static unsigned char blocked[SITES_MAX][SITES_MAX];
static uint64_t last_due[SITES_MAX];
/* A ring per destination: packets leave in order. */
static packet *queue[SITES_MAX];
static size_t head[SITES_MAX], count[SITES_MAX], total;
static size_t per_site_max;
static unsigned long carried, dropped_loss, dropped_block, dropped_full;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int site_of(int index) { return index == nodes ? 0 : index; }

static int run(const char *command) {
    int status = system(command);
    if (status != 0) fprintf(stderr, "wanlink: failed (%d): %s\n", status, command);
    return status;
}

static void load_control(void) {
    FILE *f = fopen(control, "r");
    if (!f) { fprintf(stderr, "wanlink: cannot read %s: %s\n", control, strerror(errno)); return; }
    memset(blocked, 0, sizeof blocked);
    char line[256];
    while (fgets(line, sizeof line, f)) {
        double v; int a, b;
        if (sscanf(line, "rtt_ms %lf", &v) == 1) rtt_ms = v;
        else if (sscanf(line, "jitter_ms %lf", &v) == 1) jitter_ms = v;
        else if (sscanf(line, "loss_pct %lf", &v) == 1) loss_pct = v;
        else if (sscanf(line, "block %d %d", &a, &b) == 2 && a >= 0 && b >= 0 && a < nodes && b < nodes) {
            blocked[a][b] = blocked[b][a] = 1;
        }
    }
    fclose(f);
    int links = 0;
    for (int a = 0; a < nodes; a++) for (int b = a + 1; b < nodes; b++) links += blocked[a][b];
    fprintf(stderr, "wanlink: rtt %.1f ms, jitter %.1f ms, loss %.2f %%, %d links blocked\n", rtt_ms, jitter_ms, loss_pct, links);
}

/* The site index of an IPv4 destination in the subnet, or -1. */
static int destination(const unsigned char *p, size_t len) {
    if (len < 20 || (p[0] >> 4) != 4) return -1;
    char dst[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, p + 16, dst, sizeof dst);
    size_t n = strlen(subnet);
    if (strncmp(dst, subnet, n) != 0 || dst[n] != '.') return -1;
    int last = atoi(dst + n + 1);
    if (last == 100) return nodes;
    if (last >= 1 && last <= nodes) return last - 1;
    if (last >= 51 && last <= 50 + nodes) return last - 51;  /* a node's second address (scripts/wan move) */
    return -1;
}

static int open_tun(int index) {
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) { perror("wanlink: /dev/net/tun"); return -1; }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, IFNAMSIZ, "bwan%d", index);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("wanlink: TUNSETIFF"); close(fd); return -1; }
    char ns[96], cmd[512];
    if (index == nodes) snprintf(ns, sizeof ns, "%sc", prefix); else snprintf(ns, sizeof ns, "%s%d", prefix, index);
    int host = index == nodes ? 100 : index + 1;
    snprintf(cmd, sizeof cmd,
             "ip link set bwan%d netns %s && ip -n %s addr add %s.%d/24 dev bwan%d && ip -n %s link set bwan%d mtu 1500 up",
             index, ns, ns, subnet, host, index, ns, index);
    if (run(cmd) != 0) { close(fd); return -1; }
    return fd;
}

int main(int argc, char **argv) {
    double seconds = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--nodes")) nodes = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--netns-prefix")) snprintf(prefix, sizeof prefix, "%s", argv[i + 1]);
        else if (!strcmp(argv[i], "--subnet")) snprintf(subnet, sizeof subnet, "%s", argv[i + 1]);
        else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--control")) snprintf(control, sizeof control, "%s", argv[i + 1]);
    }
    if (nodes < 1 || nodes + 1 > SITES_MAX || !prefix[0] || !subnet[0] || !control[0] || seconds <= 0) {
        fprintf(stderr, "usage: wanlink --nodes 1..16 --netns-prefix P --subnet A.B.C --seconds T --control FILE\n");
        return 2;
    }
    /* A parent that blocks signals (a test runner's thread) passes its mask
     * on: unblock them, or SIGTERM would stay pending forever. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGHUP, on_hup);
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    int sites = nodes + 1;
    per_site_max = QUEUE_MAX / (size_t)sites;
    for (int i = 0; i < sites; i++) {
        fds[i] = open_tun(i);
        if (fds[i] < 0) return 1;
        queue[i] = calloc(per_site_max, sizeof(packet));
        if (!queue[i]) return 1;
    }
    srand48((long)now_ns());
    fprintf(stderr, "wanlink: %d nodes and a client up for at most %.0f s\n", nodes, seconds);
    const uint64_t end = now_ns() + (uint64_t)(seconds * 1e9);
    unsigned char buffer[PACKET_MAX];
    struct pollfd pfd[SITES_MAX];
    while (!stop && now_ns() < end) {
        if (reload) { reload = 0; load_control(); }
        /* Deliver what is due; find the next due time. */
        uint64_t now = now_ns(), next = now + 100000000ull;
        for (int s = 0; s < sites; s++) {
            while (count[s] > 0) {
                packet *p = &queue[s][head[s]];
                if (p->due_ns > now) { if (p->due_ns < next) next = p->due_ns; break; }
                if (write(fds[s], p->data, p->len) < 0 && errno != EAGAIN) perror("wanlink: write");
                free(p->data);
                head[s] = (head[s] + 1) % per_site_max;
                count[s]--;
                total--;
                carried++;
            }
        }
        for (int s = 0; s < sites; s++) { pfd[s].fd = fds[s]; pfd[s].events = POLLIN; pfd[s].revents = 0; }
        int wait_ms = (int)((next - now + 999999) / 1000000);
        if (wait_ms < 0) wait_ms = 0;
        if (poll(pfd, (nfds_t)sites, wait_ms) < 0) { if (errno == EINTR) continue; perror("wanlink: poll"); break; }
        int gone = -1;
        for (int s = 0; s < sites; s++) if (pfd[s].revents & (POLLERR | POLLHUP | POLLNVAL)) gone = s;
        if (gone >= 0) { fprintf(stderr, "wanlink: interface bwan%d went away (its namespace was deleted); stopping\n", gone); break; }
        for (int s = 0; s < sites; s++) {
            if (!(pfd[s].revents & POLLIN)) continue;
            for (int burst = 0; burst < 64; burst++) {
                ssize_t n = read(fds[s], buffer, sizeof buffer);
                if (n <= 0) break;
                int to = destination(buffer, (size_t)n);
                if (to < 0 || to == s) continue;
                /* Partitions cut nodes from nodes; the client keeps its node. */
                if (s < nodes && to < nodes && blocked[s][to]) {
                    dropped_block++;
                    continue;
                }
                if (loss_pct > 0 && drand48() * 100.0 < loss_pct && site_of(s) != site_of(to)) { dropped_loss++; continue; }
                if (count[to] >= per_site_max) { dropped_full++; continue; }
                double one_way_ms = site_of(s) == site_of(to) ? 0 : rtt_ms / 2 + (drand48() - 0.5) * jitter_ms;
                if (one_way_ms < 0) one_way_ms = 0;
                uint64_t due = now_ns() + (uint64_t)(one_way_ms * 1e6);
                if (due < last_due[to]) due = last_due[to];  /* no reordering */
                last_due[to] = due;
                packet *p = &queue[to][(head[to] + count[to]) % per_site_max];
                p->data = malloc((size_t)n);
                if (!p->data) { dropped_full++; continue; }
                memcpy(p->data, buffer, (size_t)n);
                p->len = (uint32_t)n;
                p->due_ns = due;
                p->to = to;
                count[to]++;
                total++;
            }
        }
    }
    fprintf(stderr, "wanlink: stopped; %lu packets carried, dropped: %lu by loss, %lu by partitions, %lu queue full\n",
            carried, dropped_loss, dropped_block, dropped_full);
    return 0;
}
