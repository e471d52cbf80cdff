package dev.baton.gateway.proxy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.baton.gateway.GatewayConfig;
import dev.baton.gateway.GatewayStartException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where each workload runs now, kept in the state file so that a restarted gateway connects new flows to where
 * the workload is, not to where the config first put it. The file is {@code {"version": 1, "workloads":
 * {"echo": "b"}}}; it is replaced atomically (written beside, forced to disk, renamed over), so a crash leaves
 * the old file or the new one. Workloads the config no longer names are kept in it.
 */
final class WorkloadHosts {
    private static final Logger LOG = LoggerFactory.getLogger(WorkloadHosts.class);
    private static final int VERSION = 1;
    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    record StateFile(int version, Map<String, String> workloads) {
    }

    private final Path file;
    private final Map<String, String> hosts; // guarded by this

    private WorkloadHosts(Path file, Map<String, String> hosts) {
        this.file = file;
        this.hosts = hosts;
    }

    /** The config's hosts, overridden by the state file's where it names a host the config knows. */
    static WorkloadHosts load(GatewayConfig config) {
        Path file = config.state();
        Map<String, String> saved = read(file);
        Map<String, String> hosts = new TreeMap<>(saved);
        for (GatewayConfig.ServiceConfig s : config.services()) {
            String host = saved.get(s.workload());
            if (host == null) {
                hosts.put(s.workload(), s.host());
            } else if (!config.hosts().containsKey(host)) {
                LOG.warn("state file {} puts workload {} on host {}, which the config does not name; using {}",
                        file, s.workload(), host, s.host());
                hosts.put(s.workload(), s.host());
            }
        }
        return new WorkloadHosts(file, hosts);
    }

    private static Map<String, String> read(Path file) {
        if (!Files.exists(file)) return Map.of();
        try {
            StateFile state = JSON.readValue(file.toFile(), StateFile.class);
            if (state == null || state.version() != VERSION) {
                throw new GatewayStartException("state file " + file + " has version "
                        + (state == null ? "none" : state.version()) + ", this gateway reads version " + VERSION, null);
            }
            return state.workloads() == null ? Map.of() : state.workloads();
        } catch (IOException e) {
            throw new GatewayStartException("cannot read the state file " + file + ": " + e.getMessage(), e);
        }
    }

    Path file() {
        return file;
    }

    synchronized String hostOf(String workload) {
        return hosts.get(workload);
    }

    /**
     * Records that {@code workload} runs on {@code host} now, in the state file first: when the file cannot be
     * written nothing changes.
     *
     * @throws UncheckedIOException when the state file cannot be written
     */
    synchronized void move(String workload, String host) {
        if (host.equals(hosts.get(workload)) && Files.exists(file)) return;
        Map<String, String> next = new TreeMap<>(hosts);
        next.put(workload, host);
        try {
            write(next);
        } catch (IOException e) {
            throw new UncheckedIOException("recording workload " + workload + " on host " + host + " in the state file "
                    + file + ": " + e.getMessage(), e);
        }
        hosts.put(workload, host);
    }

    private void write(Map<String, String> state) throws IOException {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsString(new StateFile(VERSION, state)).getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("writing the gateway state as JSON", e);
        }
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
