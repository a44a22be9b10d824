package io.astaire.systest.live;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.astaire.cli.lab.LabProcess;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A UDP generator and a sink that prove what happens to each flow while the chain changes.
 * The generator sends, to every port given, datagrams carrying a sequence number and the wall
 * time they were sent, at a fixed rate per flow (the same for all, or one per port), until a stop
 * file appears. The sink receives
 * them with the IP TOS byte of each (the DSCP the path's marking functions wrote), and prints
 * JSON lines: a {@code dscp} event whenever a flow's DSCP changes (so a path change is seen, with
 * its wall time), a {@code tick} with per-flow counts every 250 ms, and a {@code summary} at the
 * end (received, unique, duplicates, missing sequence numbers, packets per DSCP). Both are
 * python3 scripts run inside lab namespaces; the JVM of the test cannot enter those.
 */
public final class UdpProbe {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final String GENERATOR = """
            import os, socket, struct, sys, time
            dst, stop, max_seconds, rate = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
            ports = [int(p) for p in sys.argv[5].split(",")]
            # optional per-port rates (each dividing the top rate): port p is sent every (rate / its rate)-th round
            every = {p: 1 for p in ports}
            if len(sys.argv) > 6:
                every = {p: max(1, rate // int(r)) for p, r in zip(ports, sys.argv[6].split(","))}
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sent = {p: 0 for p in ports}
            errors = 0
            pad = b"x" * 48
            start = time.monotonic()
            n = 0
            print("sending", flush=True)
            while True:
                now = time.monotonic()
                if now - start > max_seconds or (n % 50 == 0 and os.path.exists(stop)):
                    break
                due = start + n / rate
                if now < due:
                    time.sleep(due - now)
                for p in ports:
                    if n % every[p]:
                        continue
                    try:
                        s.sendto(struct.pack("!Qd", sent[p], time.time()) + pad, (dst, p))
                        sent[p] += 1
                    except OSError:
                        errors += 1
                n += 1
            print("sent " + " ".join("%d=%d" % (p, sent[p]) for p in ports) + " errors=%d" % errors, flush=True)
            """;

    public static final String SINK = """
            import json, os, select, socket, struct, sys, time
            ports = [int(p) for p in sys.argv[1].split(",")]
            stop = sys.argv[2]
            MAX = 1 << 23  # sequence numbers tracked per flow: 20 000/s for 7 minutes
            socks, state = {}, {}
            for p in ports:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
                try:
                    # SO_RCVBUFFORCE (root): the instrument must not be where a busy machine drops datagrams
                    s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)
                except OSError:
                    pass
                s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
                s.bind(("0.0.0.0", p))
                s.setblocking(False)
                socks[s.fileno()] = (p, s)
                state[p] = {"received": 0, "dup": 0, "max": -1, "dscp": {}, "last": None, "seen": bytearray(MAX)}
            poll = select.poll()
            for fd in socks:
                poll.register(fd, select.POLLIN)
            print("listening", flush=True)
            next_tick = time.time()
            while True:
                for fd, _ in poll.poll(50):
                    p, s = socks[fd]
                    st = state[p]
                    while True:
                        try:
                            data, anc, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(4))
                        except BlockingIOError:
                            break
                        now = time.time()
                        seq, sent = struct.unpack("!Qd", data[:16])
                        tos = 0
                        for level, kind, cdata in anc:
                            if level == socket.IPPROTO_IP and kind == socket.IP_TOS and len(cdata) > 0:
                                tos = cdata[0]
                        dscp = tos >> 2
                        st["received"] += 1
                        if seq < MAX:
                            if st["seen"][seq]:
                                st["dup"] += 1
                            st["seen"][seq] = 1
                        st["max"] = max(st["max"], seq)
                        st["dscp"][dscp] = st["dscp"].get(dscp, 0) + 1
                        if dscp != st["last"]:
                            st["last"] = dscp
                            print(json.dumps({"event": "dscp", "port": p, "dscp": dscp, "seq": seq, "wall": now, "sentWall": sent}), flush=True)
                now = time.time()
                if now >= next_tick:
                    next_tick = now + 0.25
                    print(json.dumps({"event": "tick", "wall": now, "received": {str(p): state[p]["received"] for p in ports}}), flush=True)
                    if os.path.exists(stop):
                        break
            out = {"event": "summary", "flows": {}}
            for p in ports:
                st = state[p]
                top = min(st["max"] + 1, MAX)
                seen = st["seen"][:top]
                missing = [i for i in range(top) if not seen[i]]
                ranges = []
                for i in missing:
                    if ranges and ranges[-1][1] == i - 1:
                        ranges[-1][1] = i
                    else:
                        ranges.append([i, i])
                out["flows"][str(p)] = {"received": st["received"], "unique": sum(seen), "duplicates": st["dup"],
                                        "maxSeq": st["max"], "missing": len(missing), "missingRanges": ranges[:20],
                                        "dscp": {str(k): v for k, v in st["dscp"].items()}}
            print(json.dumps(out), flush=True)
            """;

    private UdpProbe() {}

    /** Every JSON line the sink has printed so far. */
    public static List<JsonNode> events(LabProcess sink) {
        List<JsonNode> events = new ArrayList<>();
        for (String line : sink.output().split("\n")) {
            if (line.startsWith("{")) {
                try {
                    events.add(JSON.readTree(line));
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    // a line being written right now: read it next time
                } catch (RuntimeException e) {
                    throw new UncheckedIOException(new java.io.IOException(e));
                }
            }
        }
        return events;
    }

    /** The first time (wall, seconds) flow {@code port} arrived with {@code dscp} at or after {@code afterWall}. */
    public static Optional<JsonNode> firstDscpChange(LabProcess sink, int port, int dscp, double afterWall) {
        return events(sink).stream()
                .filter(e -> e.path("event").asText().equals("dscp") && e.path("port").asInt() == port
                        && e.path("dscp").asInt() == dscp && e.path("wall").asDouble() >= afterWall)
                .findFirst();
    }

    /** Packets of {@code port} received between two wall times, from the sink's ticks (250 ms grain). */
    public static long receivedBetween(LabProcess sink, int port, double fromWall, double toWall) {
        long from = 0;
        long to = 0;
        for (JsonNode e : events(sink)) {
            if (!e.path("event").asText().equals("tick")) {
                continue;
            }
            double wall = e.path("wall").asDouble();
            long n = e.path("received").path(Integer.toString(port)).asLong();
            if (wall <= fromWall) {
                from = n;
            }
            if (wall <= toWall) {
                to = n;
            }
        }
        return to - from;
    }

    /** The latest per-flow count the sink reported. */
    public static long received(LabProcess sink, int port) {
        long n = 0;
        for (JsonNode e : events(sink)) {
            if (e.path("event").asText().equals("tick")) {
                n = e.path("received").path(Integer.toString(port)).asLong();
            }
        }
        return n;
    }

    /** The sink's final summary, once it printed it. */
    public static Optional<JsonNode> summary(LabProcess sink) {
        return events(sink).stream().filter(e -> e.path("event").asText().equals("summary")).findFirst();
    }
}
