package dev.baton.cli;

import dev.baton.ckpt.agent.DumpReport;
import dev.baton.ckpt.agent.DumpRequest;
import dev.baton.ckpt.agent.HostHealth;
import dev.baton.ckpt.agent.HostService;
import dev.baton.ckpt.agent.Hooks;
import dev.baton.ckpt.agent.RestoreReport;
import dev.baton.ckpt.agent.RestoreRequest;
import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.ckpt.workload.WorkloadStatus;
import dev.baton.ckpt.workload.Workloads;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code baton agent} serves until the checkpoint service is wired in: the machine's real health (CRIU's
 * version, the kernel, as {@code baton doctor} checks them) and its recorded workloads; dump and restore are
 * refused with a message that says so.
 */
final class PlaceholderHostService implements HostService {
    static final String NOT_WIRED = "is not wired into this agent yet: its host service is a placeholder";

    private final String host;

    PlaceholderHostService(ClusterKeys keys) {
        this.host = keys.hostName();
    }

    @Override
    public HostHealth health() {
        // criu() and kernel() run tools only; they need no scratch namespace.
        Checks checks = new Checks(null);
        Check criu = checks.criu();
        Check kernel = checks.kernel();
        List<String> problems = new ArrayList<>();
        if (criu.status() != Check.Status.OK) problems.add("criu: " + criu.detail());
        if (kernel.status() != Check.Status.OK) problems.add("kernel: " + kernel.detail());
        problems.add("dump and restore " + NOT_WIRED);
        String version = criu.detail().matches("\\d.*") ? criu.detail().split(" ")[0] : null;
        return new HostHealth(host, version, kernel.detail(), problems);
    }

    @Override
    public List<WorkloadStatus> workloads() {
        Workloads workloads = Workloads.standard();
        return workloads.list().stream().map(workloads::status).toList();
    }

    @Override
    public DumpReport dump(DumpRequest request, OutputStream bundle, Hooks hooks) throws IOException {
        throw new IOException("dump of " + request.workload() + " refused: dump " + NOT_WIRED);
    }

    @Override
    public RestoreReport restore(RestoreRequest request, InputStream bundle, Hooks hooks) throws IOException {
        throw new IOException("restore refused: restore " + NOT_WIRED);
    }
}
