package dev.baton.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.baton.gateway.GatewayConfig.HostConfig;
import dev.baton.gateway.GatewayConfig.ServiceConfig;
import dev.baton.gateway.GatewayConfig.Timeouts;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The config file's JSON: Jackson binds it to plain records of strings (so an unknown or mistyped field is named
 * by its path), which are then turned into the typed {@link GatewayConfig}, each conversion error naming its field.
 */
final class ConfigJson {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private ConfigJson() {
    }

    record ConfigFile(String admin, String keys, LinkedHashMap<String, Host> hosts, List<Service> services,
                TimeoutsJson timeouts, String state) {
    }

    record Host(String agent, String address, String netns) {
    }

    record Service(String name, String listen, String workload, String host, Integer port) {
    }

    record TimeoutsJson(String connect, String idle, String drain) {
    }

    static GatewayConfig read(String json) {
        ConfigFile f;
        try {
            f = JSON.readValue(json, ConfigFile.class);
        } catch (JsonMappingException e) {
            String field = path(e);
            String problem = e instanceof MismatchedInputException && e.getOriginalMessage().startsWith("Unrecognized")
                    ? "unknown field" : e.getOriginalMessage();
            throw new GatewayConfigException(field, problem, e);
        } catch (JsonProcessingException e) {
            throw new GatewayConfigException("", "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (f == null) throw new GatewayConfigException("", "the config is empty (null)");
        Map<String, HostConfig> hosts = new LinkedHashMap<>();
        if (f.hosts() != null) {
            f.hosts().forEach((name, h) -> {
                String at = "hosts." + name;
                if (h == null) throw new GatewayConfigException(at, "missing");
                hosts.put(name, new HostConfig(
                        required(at + ".agent", h.agent(), Addresses::parse),
                        required(at + ".address", h.address(), Addresses::parseIp), h.netns()));
            });
        }
        List<ServiceConfig> services = new ArrayList<>();
        if (f.services() != null) {
            for (int i = 0; i < f.services().size(); i++) {
                Service s = f.services().get(i);
                String at = "services[" + i + "]";
                if (s == null) throw new GatewayConfigException(at, "missing");
                if (s.port() == null) throw new GatewayConfigException(at + ".port", "missing");
                services.add(new ServiceConfig(s.name(), required(at + ".listen", s.listen(), Addresses::parse),
                        s.workload(), s.host(), s.port()));
            }
        }
        TimeoutsJson t = f.timeouts();
        Timeouts timeouts = t == null ? null : new Timeouts(optional("timeouts.connect", t.connect(), Durations::parse),
                optional("timeouts.idle", t.idle(), Durations::parse),
                optional("timeouts.drain", t.drain(), Durations::parse));
        return new GatewayConfig(optional("admin", f.admin(), Addresses::parse),
                optional("keys", f.keys(), Path::of), hosts, services, timeouts,
                optional("state", f.state(), Path::of));
    }

    static String write(GatewayConfig c) {
        LinkedHashMap<String, Host> hosts = new LinkedHashMap<>();
        c.hosts().forEach((name, h) -> hosts.put(name, new Host(Addresses.format(h.agent()),
                h.address().getHostAddress(), h.netns())));
        List<Service> services = c.services().stream()
                .map(s -> new Service(s.name(), Addresses.format(s.listen()), s.workload(), s.host(), s.port()))
                .toList();
        Timeouts t = c.timeouts();
        ConfigFile f = new ConfigFile(Addresses.format(c.admin()), c.keys().toString(), hosts, services,
                new TimeoutsJson(Durations.format(t.connect()), Durations.format(t.idle()),
                        Durations.format(t.drain())), c.state().toString());
        try {
            return JSON.writeValueAsString(f);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("writing the gateway config as JSON", e);
        }
    }

    private static <T> T required(String field, String text, Function<String, T> parser) {
        if (text == null) throw new GatewayConfigException(field, "missing");
        return optional(field, text, parser);
    }

    private static <T> T optional(String field, String text, Function<String, T> parser) {
        if (text == null) return null;
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            throw new GatewayConfigException(field, e.getMessage(), e);
        }
    }

    /** The JSON path Jackson was at: {@code services[1].port}. */
    private static String path(JsonMappingException e) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (!b.isEmpty()) b.append('.');
                b.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }
}
