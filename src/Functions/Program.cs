using Azure.Core.Serialization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions;
using ServerlessGenServer.Functions.Http;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// Every non-2xx answer of every HTTP function is problem+json; faults get a correlation id (ErrorContract).
builder.UseMiddleware<ErrorContractMiddleware>();

// Inputs, replies and entity state use the project's one JSON shape, the same as the engine tests use.
builder.Services.Configure<WorkerOptions>(o => o.Serializer = new JsonObjectSerializer(GenServerJson.Options));
builder.Services.AddFunctionsApp(builder.Configuration);

builder.Build().Run();
