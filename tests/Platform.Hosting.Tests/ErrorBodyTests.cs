using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Platform.Hosting;

namespace Platform.Hosting.Tests;

/// <summary>Each project's error body, as its own clients parse it.</summary>
public sealed class ErrorBodyTests
{
    private static async Task<(int Status, string ContentType, string Body)> WriteAsync(ApiFlavor flavor, HttpStatusCode status, string message, string? type = null)
    {
        var http = new DefaultHttpContext();
        http.Response.Body = new MemoryStream();
        await ErrorBodies.WriteAsync(http, flavor, status, message, type);
        http.Response.Body.Position = 0;
        return (http.Response.StatusCode, http.Response.ContentType ?? "", await new StreamReader(http.Response.Body).ReadToEndAsync());
    }

    [Fact]
    public async Task Keystone_errors_carry_code_title_and_message()
    {
        var (status, _, body) = await WriteAsync(ApiFlavor.Keystone, HttpStatusCode.NotFound, "Could not find project: x.");
        Assert.Equal(404, status);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal(404, error.GetProperty("code").GetInt32());
        Assert.Equal("Not Found", error.GetProperty("title").GetString());
        Assert.Equal("Could not find project: x.", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest, "badRequest")]
    [InlineData(HttpStatusCode.Forbidden, "forbidden")]
    [InlineData(HttpStatusCode.NotFound, "itemNotFound")]
    [InlineData(HttpStatusCode.Conflict, "conflictingRequest")]
    [InlineData(HttpStatusCode.RequestEntityTooLarge, "overLimit")]
    [InlineData(HttpStatusCode.InternalServerError, "computeFault")]
    public async Task Nova_and_cinder_name_the_fault_after_the_status(HttpStatusCode code, string name)
    {
        foreach (var flavor in new[] { ApiFlavor.Nova, ApiFlavor.Cinder })
        {
            var (_, _, body) = await WriteAsync(flavor, code, "nope");
            var fault = JsonDocument.Parse(body).RootElement.GetProperty(name);
            Assert.Equal((int)code, fault.GetProperty("code").GetInt32());
            Assert.Equal("nope", fault.GetProperty("message").GetString());
        }
    }

    [Theory]
    [InlineData(HttpStatusCode.NotAcceptable)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    public async Task Cinder_names_a_status_its_fault_does_not_know_a_computeFault(HttpStatusCode code)
    {
        var (status, _, body) = await WriteAsync(ApiFlavor.Cinder, code, "Version 3.99 is not supported by the API.");
        Assert.Equal((int)code, status);
        var fault = JsonDocument.Parse(body).RootElement.GetProperty("computeFault");
        Assert.Equal((int)code, fault.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Neutron_errors_carry_the_type()
    {
        var (_, _, body) = await WriteAsync(ApiFlavor.Neutron, HttpStatusCode.NotFound, "Network x could not be found.", "NetworkNotFound");
        var error = JsonDocument.Parse(body).RootElement.GetProperty("NeutronError");
        Assert.Equal("NetworkNotFound", error.GetProperty("type").GetString());
        Assert.Equal("", error.GetProperty("detail").GetString());
        var (_, _, generic) = await WriteAsync(ApiFlavor.Neutron, HttpStatusCode.Conflict, "in use");
        Assert.Equal("HTTPConflict", JsonDocument.Parse(generic).RootElement.GetProperty("NeutronError").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Glance_errors_are_plain_text_with_the_status_line_first()
    {
        var (status, contentType, body) = await WriteAsync(ApiFlavor.Glance, HttpStatusCode.Conflict, "Image status transition from active to saving is not allowed");
        Assert.Equal(409, status);
        Assert.StartsWith("text/plain", contentType);
        Assert.StartsWith("409 Conflict\n\nImage status transition", body);
    }

    [Fact]
    public async Task Placement_errors_are_a_list_with_a_code()
    {
        var (_, _, body) = await WriteAsync(ApiFlavor.Placement, HttpStatusCode.Conflict, "generation conflict", "placement.concurrent_update");
        var error = JsonDocument.Parse(body).RootElement.GetProperty("errors")[0];
        Assert.Equal(409, error.GetProperty("status").GetInt32());
        Assert.Equal("placement.concurrent_update", error.GetProperty("code").GetString());
        Assert.Equal("generation conflict", error.GetProperty("detail").GetString());
    }
}
