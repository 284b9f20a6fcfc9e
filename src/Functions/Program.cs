using Azure.Core.Serialization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.RateLimiting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// Inputs, replies and entity state use the project's one JSON shape, the same as the engine tests use.
builder.Services.Configure<WorkerOptions>(o => o.Serializer = new JsonObjectSerializer(GenServerJson.Options));
builder.Services.AddGenServers(builder.Configuration);
builder.Services.AddSingleton<GenServerClient>();
builder.Services.AddLocalRateLimiter(builder.Configuration);

builder.Build().Run();
