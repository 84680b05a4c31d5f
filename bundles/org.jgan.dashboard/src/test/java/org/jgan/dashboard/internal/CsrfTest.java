package org.jgan.dashboard.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A state-changing request needs the token of its own session cookie and the dashboard's origin. */
class CsrfTest {

    private static final String HOST = "127.0.0.1:8765";

    /** A request with these headers and, when session is not null, the session cookie. */
    private static HttpServletRequest request(String session, Map<String, String> headers) {
        Map<String, String> h = new HashMap<>(headers);
        h.putIfAbsent("Host", HOST);
        return (HttpServletRequest) Proxy.newProxyInstance(CsrfTest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getHeader" -> h.get((String) args[0]);
                    case "getScheme" -> "http";
                    case "getCookies" -> session == null ? null : new Cookie[] {new Cookie(Csrf.COOKIE, session)};
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void theTokenOfTheSessionFromTheSameOriginPasses() {
        Csrf csrf = new Csrf();
        String token = csrf.token("s1");
        assertNull(csrf.refusal(request("s1", Map.of("Origin", "http://" + HOST, Csrf.HEADER, token))));
        // without Origin (some browsers on same-origin POSTs), the Referer says where it comes from
        assertNull(csrf.refusal(request("s1", Map.of("Referer", "http://" + HOST + "/#/run/r1", Csrf.HEADER, token))));
    }

    @Test
    void everythingElseIsRefusedWithItsReason() {
        Csrf csrf = new Csrf();
        String token = csrf.token("s1");
        String origin = "http://" + HOST;
        assertTrue(csrf.refusal(request("s1", Map.of("Origin", "http://evil.example", Csrf.HEADER, token)))
                .startsWith("cross-origin request refused"));
        assertTrue(csrf.refusal(request("s1", Map.of("Origin", "http://127.0.0.1:9999", Csrf.HEADER, token)))
                .startsWith("cross-origin request refused"), "another port is another origin");
        assertTrue(csrf.refusal(request("s1", Map.of("Referer", "http://evil.example/" + HOST, Csrf.HEADER, token)))
                .startsWith("cross-origin request refused"));
        assertTrue(csrf.refusal(request("s1", Map.of(Csrf.HEADER, token))).contains("no Origin or Referer"));
        assertTrue(csrf.refusal(request("s1", Map.of("Origin", origin))).contains("missing session cookie or"));
        assertTrue(csrf.refusal(request(null, Map.of("Origin", origin, Csrf.HEADER, token)))
                .contains("missing session cookie or"));
        // another session's token, and this session's token under another runtime's key
        assertTrue(csrf.refusal(request("s2", Map.of("Origin", origin, Csrf.HEADER, token))).contains("does not match"));
        assertTrue(csrf.refusal(request("s1", Map.of("Origin", origin, Csrf.HEADER, new Csrf().token("s1"))))
                .contains("does not match"));
    }

    @Test
    void onlyThisMachinesNamesOrTheBoundHostAreAnswered() {
        java.util.Set<String> none = java.util.Set.of();
        for (String ok : new String[] {"127.0.0.1:8765", "localhost:8765", "LOCALHOST", "[::1]:8765", "127.0.1.1"}) {
            assertNull(Csrf.hostRefusal(request(null, Map.of("Host", ok)), none, false), ok);
        }
        // a rebinding page sends its own name; a remote client an address it reached
        for (String bad : new String[] {"evil.example:8765", "10.0.0.5:8765", "127.0.0.1.evil.example", "[::2]:8765"}) {
            String why = Csrf.hostRefusal(request(null, Map.of("Host", bad)), none, false);
            assertTrue(why != null && why.startsWith("request refused: the dashboard answers to this machine's"), bad);
        }
        assertNull(Csrf.hostRefusal(request(null, Map.of("Host", "10.0.0.5:8765")), java.util.Set.of("10.0.0.5"), false),
                "the host it was bound to");
        assertNull(Csrf.hostRefusal(request(null, Map.of("Host", "anything:8765")), none, true), "bound to all");
    }

    @Test
    void tokensDependOnTheSessionAndTheKey() {
        Csrf csrf = new Csrf();
        assertEquals(csrf.token("s1"), csrf.token("s1"));
        assertNotEquals(csrf.token("s1"), csrf.token("s2"));
        assertNotEquals(csrf.token("s1"), new Csrf().token("s1"));
    }
}
