package dev.baton.cli;

import dev.baton.ckpt.keys.ClusterKeys;
import dev.baton.gateway.admin.AdminApi;
import dev.baton.gateway.admin.AdminServer;
import dev.baton.gateway.migrate.Migrations;
import dev.baton.socket.StateJson;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A gateway's admin API on loopback (a real {@link AdminServer} with the standard routes) over in-test data, and
 * the key directory of a CLI host of the same cluster.
 */
final class TestGateway implements AutoCloseable {
    final AdminServer server;
    final Path cliKeys;

    private TestGateway(AdminServer server, Path cliKeys) {
        this.server = server;
        this.cliKeys = cliKeys;
    }

    static TestGateway start(Path dir, Supplier<List<?>> services, Function<Optional<String>, List<?>> flows,
                             Migrations migrations) throws IOException {
        ClusterKeys keys = ClusterKeys.init(dir.resolve("gw"), "gw");
        Path cli = dir.resolve("cli");
        ClusterKeys.issue(dir.resolve("gw"), "cli", cli);
        AdminServer server = AdminServer.start(new InetSocketAddress("127.0.0.1", 0), keys.tlsContext(),
                AdminApi.routes("gw", services, flows, List::of, migrations, () -> ""));
        return new TestGateway(server, cli);
    }

    String admin() {
        return StateJson.format(server.address());
    }

    /** {@code baton ARGS --admin ADDR --keys DIR} */
    Cli run(String... args) {
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--admin";
        all[args.length + 1] = admin();
        all[args.length + 2] = "--keys";
        all[args.length + 3] = cliKeys.toString();
        return Cli.run(all);
    }

    @Override
    public void close() {
        server.close();
    }
}
