package dev.palisade.platform.security;

import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class FilterRegistrations {

    /** Boot would add every Filter bean to the servlet chain; this one belongs to the console chain only. */
    @Bean
    FilterRegistrationBean<SessionRevalidationFilter> sessionRevalidationRegistration(SessionRevalidationFilter f) {
        FilterRegistrationBean<SessionRevalidationFilter> registration = new FilterRegistrationBean<>(f);
        registration.setEnabled(false);
        return registration;
    }

    /** The login throttle belongs to the console and token minting chains only. */
    @Bean
    FilterRegistrationBean<LoginThrottleFilter> loginThrottleRegistration(LoginThrottleFilter f) {
        FilterRegistrationBean<LoginThrottleFilter> registration = new FilterRegistrationBean<>(f);
        registration.setEnabled(false);
        return registration;
    }
}
