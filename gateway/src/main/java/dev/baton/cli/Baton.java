package dev.baton.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.util.Properties;

/**
 * {@code baton}: the command line. Subcommands only parse, call the library modules and print. Exit codes:
 * 0 ok, 1 the operation failed, 2 usage error. Failures print {@code baton: <message>} on stderr (with the
 * cause chain under {@code --verbose}), never a stack trace.
 */
@Command(name = "baton",
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = Baton.Version.class,
        description = "Live-migrates Linux processes with their open TCP connections.",
        subcommands = {RunCommand.class, PsCommand.class, StopCommand.class, CkptCommand.class, AgentCommand.class,
                KeysCommand.class, SocketsCommand.class, WireCommand.class, DoctorCommand.class, DemoCommand.class,
                MigrateCommand.class, GatewayCommand.class})
public final class Baton {
    static final String LOG_LEVEL_PROPERTY = "org.slf4j.simpleLogger.defaultLogLevel";

    private boolean verbose;

    /** Inherited by every subcommand: {@code baton sockets list --verbose} works as well. */
    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Log at DEBUG and print the cause chain of errors.")
    void setVerbose(boolean verbose) {
        this.verbose = verbose;
        // Read by slf4j-simple when the first logger is made, which is after parsing.
        if (verbose) System.setProperty(LOG_LEVEL_PROPERTY, "debug");
    }

    boolean verbose() {
        return verbose;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** A command line for a new {@link Baton}, with Baton's error reporting. */
    public static CommandLine commandLine() {
        Baton baton = new Baton();
        return new CommandLine(baton)
                .setParameterExceptionHandler(Baton::usageError)
                .setExecutionExceptionHandler((e, cmd, parsed) -> baton.failure(e, cmd.getErr()));
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("baton: " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    private int failure(Exception e, PrintWriter err) {
        err.println("baton: " + message(e));
        if (verbose) {
            for (Throwable cause = e.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
                err.println("  caused by: " + cause);
            }
        }
        err.flush();
        return 1;
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) return e.toString();
        // The library's I/O failures name the step; what went wrong is in the cause.
        if (e instanceof UncheckedIOException u) {
            IOException cause = u.getCause();
            return m + ": " + (cause instanceof AccessDeniedException denied
                    ? "permission denied on " + denied.getFile() : cause.toString());
        }
        return m;
    }

    /** The version filtered into {@code version.properties} at build time. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            Properties p = new Properties();
            try (InputStream in = Baton.class.getResourceAsStream("version.properties")) {
                if (in != null) p.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return new String[] {"baton " + p.getProperty("version", "unknown"),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.home") + ")"};
        }
    }
}
