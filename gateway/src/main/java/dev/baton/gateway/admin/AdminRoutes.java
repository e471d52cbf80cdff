package dev.baton.gateway.admin;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The routes of an {@link AdminServer}, given as data:
 * <pre>
 *   AdminRoutes routes = new AdminRoutes()
 *           .get("/health", request -> new Health("ok", host))
 *           .get("/migrations/{id}", request -> find(request.pathParam("id")))
 *           .post("/migrations", request -> Reply.accepted(start(request.body(Start.class))));
 * </pre>
 * A path is a sequence of segments, each either literal or a parameter {@code {name}} that matches one whole
 * segment. Where a literal and a parameter route both match, the one with more literal segments wins. A trailing
 * slash in a request path is ignored. The server takes a copy of the routes when it starts.
 */
public final class AdminRoutes {
    /** One route: a method and a path pattern. */
    record Route(String method, String pattern, List<Segment> segments, AdminHandler handler) {
        long literals() {
            return segments.stream().filter(s -> s.parameter() == null).count();
        }

        /** The path parameters when {@code path} matches, decoded. */
        Optional<Map<String, String>> match(List<String> path) {
            if (path.size() != segments.size()) return Optional.empty();
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 0; i < path.size(); i++) {
                Segment s = segments.get(i);
                if (s.parameter() != null) {
                    if (path.get(i).isEmpty()) return Optional.empty();
                    params.put(s.parameter(), path.get(i));
                } else if (!s.literal().equals(path.get(i))) {
                    return Optional.empty();
                }
            }
            return Optional.of(params);
        }
    }

    /** A literal segment, or a parameter (its name; {@code literal} null). */
    record Segment(String literal, String parameter) {
    }

    /** What a request path and method lead to. */
    sealed interface Match {
        record Found(Route route, Map<String, String> pathParams) implements Match {
        }

        /** The path exists with other methods. */
        record WrongMethod(Set<String> allowed) implements Match {
        }

        record NoSuchPath() implements Match {
        }
    }

    private final List<Route> routes = new ArrayList<>();

    public AdminRoutes() {
    }

    private AdminRoutes(List<Route> routes) {
        this.routes.addAll(routes);
    }

    /** Answers {@code GET path} with {@code handler}. */
    public AdminRoutes get(String path, AdminHandler handler) {
        return add("GET", path, handler);
    }

    /** Answers {@code POST path} with {@code handler}. */
    public AdminRoutes post(String path, AdminHandler handler) {
        return add("POST", path, handler);
    }

    /** The paths, e.g. for an index: {@code GET /migrations/{id}}, in the order they were added. */
    public List<String> describe() {
        return routes.stream().map(r -> r.method() + " " + r.pattern()).toList();
    }

    private AdminRoutes add(String method, String path, AdminHandler handler) {
        Objects.requireNonNull(handler, "handler");
        List<Segment> segments = parse(path);
        for (Route r : routes) {
            if (r.method().equals(method) && shape(r.segments()).equals(shape(segments))) {
                throw new IllegalArgumentException("route " + method + " " + path + " is given twice");
            }
        }
        routes.add(new Route(method, path, segments, handler));
        return this;
    }

    /** Segments with parameter names left out: /a/{id} and /a/{x} are the same route. */
    private static List<String> shape(List<Segment> segments) {
        return segments.stream().map(s -> s.parameter() != null ? "{}" : s.literal()).toList();
    }

    private static List<Segment> parse(String path) {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException("a route's path starts with '/': " + path);
        }
        List<Segment> segments = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (String s : split(path)) {
            if (s.startsWith("{") && s.endsWith("}") && s.length() > 2) {
                String name = s.substring(1, s.length() - 1);
                if (!names.add(name)) throw new IllegalArgumentException("parameter {" + name + "} twice in " + path);
                segments.add(new Segment(null, name));
            } else if (s.contains("{") || s.contains("}") || s.isEmpty()) {
                throw new IllegalArgumentException("bad segment '" + s + "' in route " + path
                        + " (a parameter is a whole segment: /migrations/{id})");
            } else {
                segments.add(new Segment(s, null));
            }
        }
        return List.copyOf(segments);
    }

    /** "/a/b/" → [a, b]; "/" → []. Segments are not decoded here. */
    static List<String> split(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        if (p.endsWith("/")) p = p.substring(0, p.length() - 1);
        return p.isEmpty() ? List.of() : List.of(p.split("/", -1));
    }

    /** @param path the request path split into decoded segments */
    Match match(String method, List<String> path) {
        Optional<Match.Found> found = routes.stream()
                .filter(r -> r.method().equals(method))
                .sorted(Comparator.comparingLong(Route::literals).reversed())
                .flatMap(r -> r.match(path).map(p -> new Match.Found(r, p)).stream())
                .findFirst();
        if (found.isPresent()) return found.get();
        Set<String> allowed = new TreeSet<>();
        for (Route r : routes) {
            if (r.match(path).isPresent()) allowed.add(r.method());
        }
        return allowed.isEmpty() ? new Match.NoSuchPath() : new Match.WrongMethod(allowed);
    }

    /** A copy that later changes to this one do not affect. */
    AdminRoutes snapshot() {
        return new AdminRoutes(routes);
    }
}
